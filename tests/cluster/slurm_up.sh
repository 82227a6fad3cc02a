#!/usr/bin/env bash
# Bring up a throwaway single-node SLURM cluster on this host for the cluster tests.
#
#   bash tests/cluster/slurm_up.sh        # idempotent; prints `export SLURM_CONF=...`
#   export SLURM_CONF=/tmp/sim2model-slurm/etc/slurm.conf   # then sinfo, sbatch, snakemake ...
#   bash tests/cluster/slurm_down.sh      # stops exactly the daemons started here
#
# Needs root (daemons run as root) and, when the daemons are missing, apt (Debian's slurm-wlm
# and munge). Everything it writes lives in $SIM2MODEL_SLURM_STATE (default /tmp/sim2model-slurm):
# its own munge key and socket, slurm.conf/gres.conf, spool and state dirs, logs, a job-completion
# log (jobcomp.log: one line per finished job with its state, partition and TRES) and pids/, the
# pids of the daemons it started. Outside it, only the apt log $SIM2MODEL_SLURM_STATE.apt.log and
# the symlink /etc/slurm/slurm.conf -> its slurm.conf (srun inside jobs needs it, see below;
# refused if that file exists), which slurm_down.sh removes. It never touches /etc/munge or a
# system munged.
#
# The cluster: one node (this host: memory from `slurmd -C`, twice its CPUs, one fake GPU whose
# device file is /dev/null), partitions `debug` (default), `cpu` and `gpu`, no accounting
# database (so `sacct` does not work: clients must query job states with squeue; MinJobAge keeps
# finished jobs there).
# Exit codes: 0 up, 2 not root, 3 install failed, 4 a daemon did not come up.
set -euo pipefail

STATE=${SIM2MODEL_SLURM_STATE:-/tmp/sim2model-slurm}
ETC=$STATE/etc
PIDS=$STATE/pids
LOGS=$STATE/log
CONF=$ETC/slurm.conf
MUNGE_SOCKET=$STATE/munge/munge.socket.2
SYSTEM_CONF=/etc/slurm/slurm.conf
export SLURM_CONF=$CONF

say() { echo "slurm_up: $*" >&2; }
die() {
    local code=$1
    shift
    say "ERROR: $*"
    exit "$code"
}

alive() { [[ -f $PIDS/$1 ]] && kill -0 "$(cat "$PIDS/$1")" 2>/dev/null; }

node_idle() { timeout 5 sinfo -h -N -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; }

[[ $(id -u) -eq 0 ]] || die 2 "must run as root (starts munged, slurmctld and slurmd)"

# --- already up? ---------------------------------------------------------------------------
if alive munged && alive slurmctld && alive slurmd && [[ -L $SYSTEM_CONF ]] && node_idle; then
    say "already up (state $STATE)"
    echo "export SLURM_CONF=$CONF"
    exit 0
fi
if [[ -d $PIDS ]] && ls "$PIDS"/* >/dev/null 2>&1; then
    say "a previous cluster in $STATE is half up: stopping it first"
    bash "$(dirname "$0")/slurm_down.sh" || true
fi

# --- install -------------------------------------------------------------------------------
missing() {
    local cmd
    for cmd in munged mungekey slurmctld slurmd sinfo sbatch squeue scontrol; do
        command -v "$cmd" >/dev/null 2>&1 || return 0
    done
    [[ -n $(find /usr/lib /usr/lib64 -name gres_gpu.so -print -quit 2>/dev/null) ]] || return 0
    return 1
}
if missing; then
    command -v apt-get >/dev/null 2>&1 || die 3 "slurm-wlm/munge missing and no apt-get"
    say "installing slurm-wlm and munge with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    mkdir -p "$(dirname "$STATE")"
    pkgs=(slurm-wlm munge)
    if ! apt-get install -y -q --no-install-recommends "${pkgs[@]}" >"$STATE.apt.log" 2>&1; then
        apt-get update -q >>"$STATE.apt.log" 2>&1 || true
        apt-get install -y -q --no-install-recommends "${pkgs[@]}" >>"$STATE.apt.log" 2>&1 \
            || die 3 "apt-get install ${pkgs[*]} failed (log: $STATE.apt.log)"
    fi
    missing && die 3 "slurm-wlm/munge installed but a command is still missing"
fi

# --- configuration -------------------------------------------------------------------------
# Start from scratch, but only ever delete a directory this script made (it leaves a marker).
if [[ -e $STATE ]]; then
    [[ -f $STATE/.sim2model-slurm ]] || die 4 "$STATE exists and was not made by slurm_up.sh"
    rm -rf "$STATE"
fi
mkdir -p "$ETC" "$PIDS" "$LOGS" "$STATE/munge" "$STATE/ctld" "$STATE/spool"
chmod 0755 "$STATE/munge"
touch "$STATE/.sim2model-slurm"

host=$(hostname -s)
# The node line as slurmd sees this machine: CPUs, sockets/cores/threads, RealMemory.
node=$(slurmd -C | head -n 1)
[[ $node == NodeName=* ]] || die 4 "unexpected 'slurmd -C' output: $node"
# Leave some memory to the OS.
mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$node")
node=${node/RealMemory=$mem/RealMemory=$((mem * 9 / 10))}
# CPUs the node offers: twice those it has (SIM2MODEL_SLURM_CPUS overrides). Snakemake jobs on
# SLURM spend much of their few seconds starting up and waiting, not computing; oversubscribed,
# the tiny default pipeline took 3-4 min on 2 cores instead of ~5 in our measurements.
real_cpus=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$node")
cpus=${SIM2MODEL_SLURM_CPUS:-$((real_cpus * 2))}
if [[ $cpus != "$real_cpus" ]]; then
    node="NodeName=$host CPUs=$cpus RealMemory=$((mem * 9 / 10))"
    overrides="SlurmdParameters=config_overrides"
fi

cat >"$CONF" <<EOF
# Written by tests/cluster/slurm_up.sh: a single-node test cluster on $host.
ClusterName=sim2model
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=6817
SlurmdPort=6818
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/ctld/slurmctld.pid
SlurmdPidFile=$STATE/spool/slurmd.pid
SlurmctldLogFile=$LOGS/slurmctld.log
SlurmdLogFile=$LOGS/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$STATE/jobcomp.log
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
# Finished jobs stay visible to squeue (and scontrol) this long; the snakemake executor plugin
# needs at least 3x its first status-check delay to trust squeue, the tests read states at the end.
MinJobAge=900
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
GresTypes=gpu
${overrides:-}
$node NodeAddr=127.0.0.1 Gres=gpu:1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
PartitionName=cpu Nodes=ALL MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=ALL MaxTime=INFINITE State=UP
EOF
# The fake GPU: slurmd only needs a device file that exists.
echo "NodeName=$host Name=gpu File=/dev/null" >"$ETC/gres.conf"

# Inside a job the executor's jobstep plugin (snakemake-executor-plugin-slurm-jobstep 0.6.1)
# drops every SLURM_* variable, SLURM_CONF included, before it calls srun; srun then reads the
# compiled-in default /etc/slurm/slurm.conf. Point that at our config, unless it is a real one.
if [[ -L $SYSTEM_CONF && $(readlink "$SYSTEM_CONF") == "$STATE"/* ]]; then
    rm -f "$SYSTEM_CONF" # ours, from an earlier run
fi
if [[ -e $SYSTEM_CONF || -L $SYSTEM_CONF ]]; then
    die 4 "$SYSTEM_CONF exists: this host has a SLURM configuration of its own, which srun" \
        "inside the test jobs would read instead of $CONF"
fi
mkdir -p "$(dirname "$SYSTEM_CONF")"
ln -s "$CONF" "$SYSTEM_CONF"
echo "$SYSTEM_CONF" >"$STATE/links"

# --- munged (own key and socket) -----------------------------------------------------------
mungekey --create --keyfile="$STATE/munge/munge.key" --force
chmod 0400 "$STATE/munge/munge.key"
munged --key-file="$STATE/munge/munge.key" --socket="$MUNGE_SOCKET" \
    --pid-file="$STATE/munge/munged.pid" --log-file="$LOGS/munged.log" \
    --seed-file="$STATE/munge/munged.seed" --force </dev/null >>"$LOGS/munged.out" 2>&1 \
    || die 4 "munged did not start (log: $LOGS/munged.log)"
for _ in $(seq 50); do [[ -s $STATE/munge/munged.pid ]] && break; sleep 0.1; done
cp "$STATE/munge/munged.pid" "$PIDS/munged"

# --- slurmctld and slurmd (daemonise themselves, write their own pid files) ----------------
start_daemon() {
    local name=$1 pidfile=$2
    shift 2
    # (stdio away from the caller's pipes: a daemon holding them open would hang a test runner)
    "$name" -f "$CONF" "$@" </dev/null >>"$LOGS/$name.out" 2>&1 \
        || die 4 "$name did not start (log: $LOGS/$name.log)"
    for _ in $(seq 100); do [[ -s $pidfile ]] && break; sleep 0.1; done
    [[ -s $pidfile ]] || die 4 "$name wrote no pid file (log: $LOGS/$name.log)"
    cp "$pidfile" "$PIDS/$name"
}
start_daemon slurmctld "$STATE/ctld/slurmctld.pid"
start_daemon slurmd "$STATE/spool/slurmd.pid"

for _ in $(seq 150); do
    node_idle && break
    for name in munged slurmctld slurmd; do
        alive "$name" || die 4 "$name died (log: $LOGS/$name.log): $(tail -n 3 "$LOGS/$name.log")"
    done
    sleep 0.2
done
node_idle || die 4 "node not idle after 30 s: $(sinfo -N -l 2>&1 | tail -n +2) (logs: $LOGS)"
say "up: $(sinfo -h -N -o '%N %T %c CPUs %m MB %G' | head -n 1);" \
    "partitions: $(sinfo -h -o '%P' | tr '\n' ' ')"
echo "export SLURM_CONF=$CONF"
