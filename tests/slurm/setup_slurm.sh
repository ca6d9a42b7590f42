#!/usr/bin/env bash
# Bring up a real one-node Slurm cluster on this host (slurmctld + slurmd on the same machine,
# munge authentication), without systemd: the daemons are started directly, so this works in a
# container or VM whose PID 1 is not an init system (CI, dev boxes).
#
#   bash tests/slurm/setup_slurm.sh            # install if needed, configure, start, smoke-test
#
# Idempotent: every step checks first and says what it did; a second run on a healthy cluster
# changes nothing. Exit 0 = cluster up and a test job ran; non-zero = a clear "setup_slurm: ERROR".
#
# What it sets up (Debian 12 "bookworm", Slurm 22.05):
#   apt packages  slurm-wlm munge            (only when slurmctld/slurmd/sbatch/munged are missing)
#   munge         /etc/munge/munge.key (the package creates it), munged as user munge
#   slurm.conf    /etc/slurm/slurm.conf: one node = this host (`hostname -s`, CPU topology from
#                 `slurmd -C`, RealMemory = MemTotal minus headroom), select/cons_tres with
#                 CR_Core_Memory (threads and mem_mb are scheduled as consumables: jobs wait for
#                 free cores and memory; cores are pinned, memory is not policed without cgroups), one
#                 default partition "main", no accounting database (accounting_storage/none),
#                 completed jobs logged to /var/log/slurm/jobcomp.log (jobcomp/filetxt) and kept
#                 in the controller for MinJobAge=3600 s so `squeue --states=all` and
#                 `scontrol show job` still report them after they finish.
#   daemons       slurmctld and slurmd run as root, logs in /var/log/slurm/
#   python        snakemake-executor-plugin-slurm (if not importable by $PYTHON; opt out with
#                 RNNBENCH_SLURM_NO_PIP=1)
#
# Why no slurmdbd/mariadb: the Snakemake plugin polls job states either with `sacct` (needs the
# accounting database) or with `squeue --states=all` (needs only the controller, as long as
# finished jobs stay visible, i.e. MinJobAge >= 3 x the first status-check delay). The profile in
# workflow/profiles/slurm selects `slurm-status-command: squeue` and `slurm-no-account: true`,
# so the whole database stack is unnecessary.
#
# A slurm.conf that this script did not write is never overwritten (a real site cluster);
# set RNNBENCH_SLURM_FORCE=1 to replace it anyway.
set -euo pipefail

CONF_DIR=/etc/slurm
CONF="$CONF_DIR/slurm.conf"
MARK="# written by rnnbench tests/slurm/setup_slurm.sh"
LOG_DIR=/var/log/slurm
PARTITION=main  # workflow/profiles/slurm's default slurm_partition
PYTHON="${PYTHON:-python3}"
PLUGIN_REQ="${RNNBENCH_SLURM_PLUGIN_REQ:-snakemake-executor-plugin-slurm==2.8.0}"
T0=$(date +%s)

say() { echo "setup_slurm: $*"; }
die() {
    echo "setup_slurm: ERROR: $*" >&2
    for f in "$LOG_DIR/slurmctld.log" "$LOG_DIR/slurmd.log"; do
        if [ -s "$f" ]; then
            echo "---- last lines of $f ----" >&2
            tail -n 15 "$f" >&2
        fi
    done
    exit 1
}

controller_up() { scontrol ping 2>/dev/null | grep -q "is UP"; }
node_state() { sinfo -h -N -n "$NODE" -o %T 2>/dev/null | head -n1; }
running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
# Our own daemons all alive (the controller may still call the node idle for SlurmdTimeout
# seconds after slurmd died, so its answer alone is not enough).
own_daemons_alive() {
    running /run/slurmctld.pid && running /run/slurmd.pid \
        && munge -n 2>/dev/null | unmunge >/dev/null 2>&1
}

# The slurm.conf this script wants for this host, on stdout.
wanted_conf() {
    local topo mem_total headroom real_mem
    # CPU topology exactly as slurmd sees it (a mismatch would drain the node).
    topo=$(slurmd -C 2>/dev/null | head -n1 | sed -e 's/^NodeName=[^ ]* //' -e 's/ *RealMemory=[0-9]*//')
    [ -n "$topo" ] || topo="CPUs=$(nproc)"
    mem_total=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)
    # Leave headroom for the OS and the daemons: 5 %, at least 512 MB.
    headroom=$((mem_total / 20))
    [ "$headroom" -ge 512 ] || headroom=512
    real_mem=$((mem_total - headroom))
    cat <<EOF
$MARK -- one node, no accounting database
ClusterName=rnnbench
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
SwitchType=switch/none
# No cgroup plugins: works in containers (and gVisor) where Slurm cannot manage cgroups;
# task/affinity pins job steps to their allocated cores (srun --cpu-bind, used by the plugin).
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
# No slurmdbd: sacct has no database; the Snakemake profile polls with squeue instead.
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30
JobCompType=jobcomp/filetxt
JobCompLoc=$LOG_DIR/jobcomp.log
# Finished jobs stay visible to squeue/scontrol for an hour (the plugin needs >= 120 s).
MinJobAge=3600
ReturnToService=2
SlurmdTimeout=60
InactiveLimit=0
KillWait=10
Waittime=0
NodeName=$NODE NodeAddr=127.0.0.1 $topo RealMemory=$real_mem State=UNKNOWN
PartitionName=$PARTITION Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
}

# ---------------------------------------------------------------- 0. fast path: already healthy
NODE=$(hostname -s)
ALREADY_UP=0
if command -v scontrol >/dev/null 2>&1 && controller_up; then
    state=$(node_state || true)
    case "$state" in
        idle* | mixed* | allocated* | completing*)
            if [ -f "$CONF" ] && ! grep -qF "$MARK" "$CONF"; then
                say "a site Slurm cluster is up (node $NODE is $state); leaving its configuration alone"
                ALREADY_UP=1
            elif [ -f "$CONF" ] && command -v slurmd >/dev/null 2>&1 \
                && [ "$(cat "$CONF")" = "$(wanted_conf)" ] && own_daemons_alive; then
                say "cluster already up (munged, slurmctld, slurmd running; node $NODE is $state; $CONF current); nothing to start"
                ALREADY_UP=1
            else
                say "controller answers, but $CONF is outdated or a daemon is down; checking each step"
            fi
            ;;
    esac
fi

if [ "$ALREADY_UP" = 0 ]; then
    [ "$(id -u)" = 0 ] || die "must run as root to install and start Slurm (uid $(id -u))"

    # ------------------------------------------------------------ 1. packages
    missing=""
    for cmd in slurmctld slurmd sbatch squeue scontrol munged; do
        command -v "$cmd" >/dev/null 2>&1 || missing="$missing $cmd"
    done
    if [ -n "$missing" ]; then
        command -v apt-get >/dev/null 2>&1 || die "missing$missing and no apt-get to install them"
        say "installing slurm-wlm munge (missing:$missing)"
        export DEBIAN_FRONTEND=noninteractive
        # a failed refresh (e.g. one suite's signature check) leaves the lists already on the machine,
        # which may still carry the packages: the install below is what must succeed
        apt-get update -qq || say "apt-get update failed; installing from the package lists already here"
        apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null \
            || die "apt-get install slurm-wlm munge failed"
        say "installed: $(dpkg-query -W -f='${Package} ${Version}; ' slurmctld slurmd slurm-client munge)"
    else
        say "packages present: $(dpkg-query -W -f='${Package} ${Version}; ' slurmctld slurmd slurm-client munge 2>/dev/null || command -v slurmctld)"
    fi

    # ------------------------------------------------------------ 2. munge
    if [ ! -s /etc/munge/munge.key ]; then
        say "creating /etc/munge/munge.key"
        if command -v mungekey >/dev/null 2>&1; then
            mungekey --create --force
        else
            dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
        fi
    fi
    chown munge:munge /etc/munge /etc/munge/munge.key
    chmod 0700 /etc/munge
    chmod 0400 /etc/munge/munge.key
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge:munge /run/munge /var/log/munge /var/lib/munge
    chmod 0755 /run/munge
    if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
        say "munged already running"
    else
        rm -f /run/munge/munge.socket.2.lock 2>/dev/null || true
        say "starting munged (as user munge)"
        runuser -u munge -- /usr/sbin/munged || die "munged did not start (see /var/log/munge/munged.log)"
        for _ in $(seq 50); do
            munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break
            sleep 0.1
        done
        munge -n | unmunge >/dev/null || die "munge credential round trip fails"
    fi

    # ------------------------------------------------------------ 3. slurm.conf
    mkdir -p "$CONF_DIR" "$LOG_DIR" /var/lib/slurm/slurmctld /var/lib/slurm/slurmd
    conf_changed=0
    if [ -f "$CONF" ] && ! grep -qF "$MARK" "$CONF" && [ "${RNNBENCH_SLURM_FORCE:-0}" != 1 ]; then
        die "$CONF exists and was not written by this script; refusing to replace a site" \
            "configuration (RNNBENCH_SLURM_FORCE=1 overrides)"
    fi
    new_conf=$(wanted_conf)
    if [ -f "$CONF" ] && [ "$(cat "$CONF")" = "$new_conf" ]; then
        say "$CONF up to date"
    else
        printf '%s\n' "$new_conf" >"$CONF"
        chmod 0644 "$CONF"
        conf_changed=1
        say "wrote $CONF: $(grep '^NodeName=' "$CONF"); partition $PARTITION"
    fi
    # Debian ships cgroup.conf only as an example; none is needed with the plugins above.

    # ------------------------------------------------------------ 4. daemons
    if [ "$conf_changed" = 1 ]; then
        for pidf in /run/slurmd.pid /run/slurmctld.pid; do
            if running "$pidf"; then
                say "configuration changed: stopping $(basename "$pidf" .pid) (pid $(cat "$pidf"))"
                kill "$(cat "$pidf")"
                for _ in $(seq 100); do running "$pidf" || break; sleep 0.1; done
            fi
        done
    fi
    if running /run/slurmctld.pid; then
        say "slurmctld already running (pid $(cat /run/slurmctld.pid))"
    else
        say "starting slurmctld"
        slurmctld || die "slurmctld failed to start"
    fi
    for _ in $(seq 100); do controller_up && break; sleep 0.2; done
    controller_up || die "slurmctld does not answer 'scontrol ping' after 20 s"
    if running /run/slurmd.pid; then
        say "slurmd already running (pid $(cat /run/slurmd.pid))"
    else
        say "starting slurmd"
        slurmd || die "slurmd failed to start"
    fi

    # ------------------------------------------------------------ 5. node ready
    state=""
    for i in $(seq 150); do
        state=$(node_state || true)
        case "$state" in
            idle* | mixed* | allocated*) break ;;
            down* | drain* | fail*)
                # e.g. after a restart: "Node unexpectedly rebooted"; safe to resume here
                if [ $((i % 10)) = 1 ]; then
                    say "node $NODE is $state; resuming it"
                    scontrol update NodeName="$NODE" State=RESUME 2>/dev/null || true
                fi
                ;;
        esac
        sleep 0.2
    done
    case "$state" in
        idle* | mixed* | allocated*) say "node $NODE is $state" ;;
        *) die "node $NODE did not become idle (state '$state'; reason: $(sinfo -h -N -n "$NODE" -o %E 2>/dev/null))" ;;
    esac
fi

# ---------------------------------------------------------------- 6. smoke test: a real job step
out=$(timeout 60 srun --immediate=30 -p "$PARTITION" -n1 -c1 --mem=50 -t 1 hostname 2>&1) \
    || die "test job (srun hostname) failed: $out"
say "test job ran on: $out"

# ---------------------------------------------------------------- 7. Snakemake executor plugin
if [ "${RNNBENCH_SLURM_NO_PIP:-0}" = 1 ]; then
    say "skipping the Snakemake plugin check (RNNBENCH_SLURM_NO_PIP=1)"
elif "$PYTHON" -c "import snakemake_executor_plugin_slurm" 2>/dev/null; then
    say "snakemake-executor-plugin-slurm present ($("$PYTHON" -m pip show snakemake-executor-plugin-slurm 2>/dev/null | awk '/^Version:/ {print $2}'))"
else
    say "installing $PLUGIN_REQ with $PYTHON -m pip"
    "$PYTHON" -m pip install -q "$PLUGIN_REQ" || die "pip install $PLUGIN_REQ failed"
fi

say "Slurm is up: $(sinfo -h -o '%P %a %D %T %C(A/I/O/T)cpus' | head -n1) ($(( $(date +%s) - T0 )) s)"
