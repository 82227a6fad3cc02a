#!/usr/bin/env bash
# Stop the test cluster started by tests/cluster/slurm_up.sh: cancel its jobs, stop exactly the
# daemons whose pids slurm_up.sh recorded in $SIM2MODEL_SLURM_STATE/pids (slurmd, slurmctld,
# munged; SIGTERM, then SIGKILL after 15 s) and remove the /etc/slurm/slurm.conf symlink it
# made. Idempotent. The state dir (logs, jobcomp.log) stays for inspection until the next
# slurm_up.sh. Exit 1 if a recorded daemon survives.
set -uo pipefail

STATE=${SIM2MODEL_SLURM_STATE:-/tmp/sim2model-slurm}
PIDS=$STATE/pids
export SLURM_CONF=$STATE/etc/slurm.conf

say() { echo "slurm_down: $*" >&2; }
ours() { # pid recorded in file $1 is alive and still runs program $2
    local pid
    pid=$(cat "$1" 2>/dev/null) || return 1
    [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null \
        && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$2" ]]
}
wait_gone() { # pid, tenths of a second
    local _
    for _ in $(seq "$2"); do
        kill -0 "$1" 2>/dev/null || return 0
        sleep 0.1
    done
    ! kill -0 "$1" 2>/dev/null
}

# Jobs still queued or running on this cluster (their slurmstepd would outlive slurmd).
if ours "$PIDS/slurmctld" slurmctld; then
    jobs=$(timeout 10 squeue -h -t PENDING,RUNNING,CONFIGURING,COMPLETING -o '%i' 2>/dev/null)
    if [[ -n $jobs ]]; then
        say "cancelling jobs: ${jobs//$'\n'/ }"
        # shellcheck disable=SC2086
        timeout 10 scancel $jobs 2>/dev/null
        for _ in $(seq 50); do
            [[ -z $(timeout 5 squeue -h -t RUNNING,COMPLETING -o '%i' 2>/dev/null) ]] && break
            sleep 0.2
        done
    fi
fi

status=0
for name in slurmd slurmctld munged; do
    file=$PIDS/$name
    [[ -f $file ]] || continue
    if ours "$file" "$name"; then
        pid=$(cat "$file")
        kill -TERM "$pid" 2>/dev/null
        if ! wait_gone "$pid" 150; then
            say "$name ($pid) ignored SIGTERM: SIGKILL"
            kill -KILL "$pid" 2>/dev/null
            if ! wait_gone "$pid" 50; then
                say "ERROR: $name ($pid) still running"
                status=1
                continue
            fi
        fi
        say "stopped $name ($pid)"
    fi
    rm -f "$file"
done

# The /etc/slurm/slurm.conf symlink slurm_up.sh made, if it still points into our state dir.
if [[ -f $STATE/links ]]; then
    while read -r link; do
        if [[ -L $link && $(readlink "$link") == "$STATE"/* ]]; then
            rm -f "$link" && say "removed $link"
        fi
    done <"$STATE/links"
    rm -f "$STATE/links"
fi
exit $status
