#!/usr/bin/env bash
# Stop the test cluster started by tests/cluster/slurm_up.sh: cancel its jobs, then stop exactly
# the daemons whose pids slurm_up.sh recorded in $SIM2MODEL_SLURM_STATE/pids (slurmd, slurmctld,
# munged), SIGTERM first and SIGKILL after 15 s. Idempotent; the state dir (logs, jobcomp.log)
# is kept for inspection until the next slurm_up.sh. Exit 1 if a recorded daemon survives.
set -uo pipefail

STATE=${SIM2MODEL_SLURM_STATE:-/tmp/sim2model-slurm}
PIDS=$STATE/pids
export SLURM_CONF=$STATE/etc/slurm.conf

say() { echo "slurm_down: $*" >&2; }

if [[ ! -d $PIDS ]] || ! ls "$PIDS"/* >/dev/null 2>&1; then
    say "nothing to stop (no pids in $PIDS)"
    exit 0
fi

# Jobs still queued or running on this cluster (their slurmstepd would outlive slurmd).
if [[ -f $PIDS/slurmctld ]] && kill -0 "$(cat "$PIDS/slurmctld")" 2>/dev/null; then
    jobs=$(timeout 10 squeue -h -t PENDING,RUNNING,CONFIGURING,COMPLETING -o '%i' 2>/dev/null || true)
    if [[ -n $jobs ]]; then
        say "cancelling jobs: $(echo $jobs)"
        # shellcheck disable=SC2086
        timeout 10 scancel $jobs 2>/dev/null || true
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
    pid=$(cat "$file")
    # Only signal the process we started: same pid and still the same program.
    if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null \
        && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$name" ]]; then
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 150); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            say "$name ($pid) ignored SIGTERM: SIGKILL"
            kill -KILL "$pid" 2>/dev/null
            for _ in $(seq 50); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
        fi
        if kill -0 "$pid" 2>/dev/null; then
            say "ERROR: $name ($pid) still running"
            status=1
            continue
        fi
        say "stopped $name ($pid)"
    fi
    rm -f "$file"
done
exit $status
