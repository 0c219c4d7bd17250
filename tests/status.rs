//! `systemctl status` and the runtime properties of `show`, from state files and journal
//! records written here directly (as a supervisor would), so the layouts are pinned without
//! depending on the supervisor. systemd 252 refuses `status` with `--root`; the expected
//! outputs follow `print_status_info()` of its systemctl-show.c.

use crate::support::*;
use std::process::{Child, Command, Stdio};
use unitbox_core::journal::record::{Source, Stream};
use unitbox_core::journal::writer::{JournalWriter, DEFAULT_MAX_BYTES};
use unitbox_core::state::boot::{current_boot_id, BootRecord};
use unitbox_core::state::lock::AliveLock;
use unitbox_core::state::unit_state::ExecProcess;
use unitbox_core::state::{ActiveState, ExitCode, StateDir, SubState, UnitResult, UnitState};
use unitbox_core::time::{
    format_timestamp_local, now_monotonic_us, now_realtime_us, DualTimestamp,
};

mod conditions;

const MIN: u64 = 60_000_000;

const FOO: &str = "\
[Unit]
Description=Foo Daemon
Documentation=man:foo(8) https://example.com/foo

[Service]
ExecStartPre=/bin/true
ExecStart=/bin/sleep 60

[Install]
WantedBy=multi-user.target
";

fn tree() -> Tree {
    let t = Tree::new();
    t.write("/etc/systemd/system/foo.service", FOO);
    t.write(
        "/usr/lib/systemd/system/multi-user.target",
        "[Unit]\nDescription=Multi-User System\n",
    );
    t.symlink(
        "/etc/systemd/system/foo.service",
        "/etc/systemd/system/multi-user.target.wants/foo.service",
    );
    t
}

/// The system scope's state directory of the tree, set up for this boot.
fn state_dir(t: &Tree) -> StateDir {
    let host = t.host("/run/unitbox");
    std::fs::create_dir_all(&host).unwrap();
    StateDir::open(host, BootRecord::current()).unwrap()
}

/// `minutes` ago on both clocks (at least 5, where systemd's relative times stop showing
/// seconds, so "Nmin ago" holds however long the test runs).
fn ago(minutes: u64) -> DualTimestamp {
    DualTimestamp {
        realtime: now_realtime_us() - minutes * MIN,
        // Never 0 ("no activation stamp"), also on a machine booted less than
        // `minutes` ago: the views compare monotonic stamps, not their distance to boot.
        monotonic: now_monotonic_us()
            .saturating_sub(minutes * MIN)
            .max(2 * MIN),
    }
}

fn exited(kind: &str, pid: u32, status: i32, command: &str, at: DualTimestamp) -> ExecProcess {
    ExecProcess {
        kind: kind.into(),
        pid,
        code: ExitCode::Exited,
        status,
        start: at,
        exit: at,
        command: command.into(),
    }
}

fn started(at: DualTimestamp) -> UnitState {
    let mut s = UnitState::default();
    s.set_state(ActiveState::Activating, SubState::StartPre, at);
    s.set_state(ActiveState::Active, SubState::Running, at);
    s.invocation_id = "0123456789abcdef0123456789abcdef".into();
    s.record_condition_check(true, Vec::new(), at);
    s.record_assert_check(true, Vec::new(), at);
    s
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// A child of the test standing in for a service's main process.
struct Sleeper(Child);

impl Sleeper {
    fn start() -> Self {
        Sleeper(
            Command::new("sleep")
                .arg("30")
                .stdin(Stdio::null())
                .spawn()
                .expect("spawn sleep"),
        )
    }

    fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Sleeper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn source(pid: u32) -> Source {
    Source {
        boot_id: current_boot_id().to_string(),
        stream: Stream::Stdout,
        pid,
        uid: Some(0),
        unit: "foo.service".into(),
        identifier: "foo".into(),
        invocation_id: String::new(),
    }
}

#[test]
fn active_running_service_with_processes_status_and_journal() {
    let t = tree();
    let dir = state_dir(&t);
    let paths = dir.unit_paths("foo.service");
    let main = Sleeper::start();
    let since = ago(5);
    let mut s = started(since);
    s.main_pid = main.pid();
    s.exec_main_pid = main.pid();
    s.exec_main_start = since;
    s.status_text = "Serving requests".into();
    s.supervisor_pid = std::process::id();
    s.processes = vec![exited("ExecStartPre", 40, 0, "/bin/true", since)];
    s.write(&paths.state).unwrap();
    let _alive = AliveLock::acquire(&paths.alive)
        .unwrap()
        .expect("alive lock");

    let mut journal = JournalWriter::open(&dir, "foo.service", DEFAULT_MAX_BYTES).unwrap();
    // Before the activation: not shown.
    journal
        .append_at(
            since.realtime - MIN,
            since.monotonic.saturating_sub(MIN),
            &source(7),
            6,
            b"old run",
        )
        .unwrap();
    let line_at = since.realtime + 1_000_000;
    for (i, msg) in ["hello", "world"].iter().enumerate() {
        journal
            .append_at(
                line_at,
                since.monotonic + 1_000_000 + i as u64,
                &source(main.pid()),
                6,
                msg.as_bytes(),
            )
            .unwrap();
    }

    let out = t.systemctl(&["status", "foo"]);
    assert_eq!(out.code, 0, "{out:?}");
    let stamp = |us: u64| {
        let local = unitbox_core::time::LocalTime::from_realtime_us(
            us,
            unitbox_core::time::TimeZone::local(),
        );
        format!(
            "{} {:02} {:02}:{:02}:{:02}",
            local.month_name(),
            local.day,
            local.hour,
            local.minute,
            local.second
        )
    };
    let host = hostname();
    let pid = main.pid();
    let expected = format!(
        "● foo.service - Foo Daemon\n\
         \x20    Loaded: loaded (/etc/systemd/system/foo.service; enabled; preset: enabled)\n\
         \x20    Active: active (running) since {}; 5min ago\n\
         \x20      Docs: man:foo(8)\n\
         \x20            https://example.com/foo\n\
         \x20   Process: 40 ExecStartPre=/bin/true (code=exited, status=0/SUCCESS)\n\
         \x20  Main PID: {pid} (sleep)\n\
         \x20    Status: \"Serving requests\"\n\
         \n\
         {} {host} foo[{pid}]: hello\n\
         {} {host} foo[{pid}]: world\n",
        format_timestamp_local(since.realtime),
        stamp(line_at),
        stamp(line_at),
    );
    assert_eq!(out.stdout, expected);

    // -n limits the journal lines, -n 0 drops them with their blank line; -o cat.
    let one = t.systemctl(&["status", "foo", "-n", "1", "-o", "cat"]);
    assert!(
        one.stdout.ends_with("\"Serving requests\"\n\nworld\n"),
        "{one:?}"
    );
    let none = t.systemctl(&["status", "foo", "--lines=0"]);
    assert!(none.stdout.ends_with("\"Serving requests\"\n"), "{none:?}");
    let bad = t.systemctl(&["status", "foo", "-o", "fancy"]);
    assert_eq!(
        (bad.code, bad.stderr.as_str()),
        (1, "Unknown output 'fancy'.\n")
    );

    // show reads the same state.
    let show = t.systemctl(&[
        "show",
        "foo",
        "-p",
        "ActiveState,SubState,MainPID,ExecMainPID,StatusText,InvocationID,ConditionResult",
    ]);
    assert_eq!(
        show.stdout,
        format!(
            "MainPID={pid}\nStatusText=Serving requests\nExecMainPID={pid}\n\
             ActiveState=active\nSubState=running\nConditionResult=yes\n\
             InvocationID=0123456789abcdef0123456789abcdef\n"
        )
    );
    let ts = t.systemctl(&["show", "foo", "-p", "ActiveEnterTimestamp", "--value"]);
    assert_eq!(
        ts.stdout,
        format!("{}\n", format_timestamp_local(since.realtime))
    );

    // A status by PID finds the unit whose supervisor recorded it.
    let by_pid = t.systemctl(&["status", &pid.to_string(), "-n", "0"]);
    assert_eq!(by_pid.code, 0, "{by_pid:?}");
    assert!(by_pid.stdout.starts_with("● foo.service - Foo Daemon\n"));
}

#[test]
fn exited_oneshot_shows_exited_and_the_main_process_result() {
    let t = tree();
    t.write(
        "/etc/systemd/system/once.service",
        "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/echo done\n",
    );
    let dir = state_dir(&t);
    let since = ago(7);
    let mut s = started(since);
    s.sub_state = SubState::Exited;
    s.exec_main_pid = 77;
    s.exec_main_code = ExitCode::Exited;
    s.exec_main_start = since;
    s.exec_main_exit = since;
    s.write(&dir.unit_paths("once.service").state).unwrap();

    let out = t.systemctl(&["status", "once.service"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout,
        format!(
            "● once.service\n\
             \x20    Loaded: loaded (/etc/systemd/system/once.service; static)\n\
             \x20    Active: active (exited) since {}; 7min ago\n\
             \x20   Process: 77 ExecStart=/bin/echo done (code=exited, status=0/SUCCESS)\n\
             \x20  Main PID: 77 (code=exited, status=0/SUCCESS)\n",
            format_timestamp_local(since.realtime)
        )
    );
    let show = t.systemctl(&["show", "once", "-p", "ExecStart,ExecMainCode"]);
    let start = format_timestamp_local(since.realtime);
    assert_eq!(
        show.stdout,
        format!(
            "ExecMainCode=1\nExecStart={{ path=/bin/echo ; argv[]=/bin/echo done ; ignore_errors=no ; \
             start_time=[{start}] ; stop_time=[{start}] ; pid=77 ; code=exited ; status=0 }}\n"
        )
    );
}

#[test]
fn failed_service_shows_result_duration_and_exit_code_3() {
    let t = tree();
    let dir = state_dir(&t);
    let enter = ago(10);
    let exit = DualTimestamp {
        realtime: enter.realtime + 4_250_000,
        monotonic: enter.monotonic + 4_250_000,
    };
    let mut s = started(enter);
    s.exec_main_pid = 90;
    s.exec_main_start = enter;
    s.exec_main_exit = exit;
    s.exec_main_code = ExitCode::Exited;
    s.exec_main_status = 1;
    s.result = UnitResult::ExitCode;
    s.set_state(ActiveState::Failed, SubState::Failed, exit);
    s.processes = vec![
        exited("ExecStartPre", 89, 0, "/bin/true", enter),
        exited("ExecStart", 90, 1, "/bin/sleep 60", exit),
    ];
    s.write(&dir.unit_paths("foo.service").state).unwrap();

    let out = t.systemctl(&["status", "foo", "multi-user.target"]);
    assert_eq!(out.code, 3, "{out:?}");
    assert_eq!(
        out.stdout,
        format!(
            "× foo.service - Foo Daemon\n\
             \x20    Loaded: loaded (/etc/systemd/system/foo.service; enabled; preset: enabled)\n\
             \x20    Active: failed (Result: exit-code) since {}; 9min ago\n\
             \x20  Duration: 4.250s\n\
             \x20      Docs: man:foo(8)\n\
             \x20            https://example.com/foo\n\
             \x20   Process: 89 ExecStartPre=/bin/true (code=exited, status=0/SUCCESS)\n\
             \x20   Process: 90 ExecStart=/bin/sleep 60 (code=exited, status=1/FAILURE)\n\
             \x20  Main PID: 90 (code=exited, status=1/FAILURE)\n\
             \n\
             ○ multi-user.target - Multi-User System\n\
             \x20    Loaded: loaded (/usr/lib/systemd/system/multi-user.target; static)\n\
             \x20    Active: inactive (dead)\n",
            format_timestamp_local(exit.realtime)
        )
    );
    let show = t.systemctl(&["show", "foo", "-p", "Result,ExecMainStatus,ActiveState"]);
    assert_eq!(
        show.stdout,
        "Result=exit-code\nExecMainStatus=1\nActiveState=failed\n"
    );
}

#[test]
fn a_dead_supervisor_makes_a_running_unit_failed() {
    let t = tree();
    let dir = state_dir(&t);
    let mut s = started(ago(1));
    s.main_pid = 4_000_000;
    s.exec_main_pid = 4_000_000;
    // Nobody holds the liveness lock: the supervisor is gone.
    s.supervisor_pid = 4_000_001;
    s.write(&dir.unit_paths("foo.service").state).unwrap();
    let out = t.systemctl(&["status", "foo", "-n", "0"]);
    assert_eq!(out.code, 3);
    // When the supervisor died is not known: no "since".
    assert!(
        out.stdout
            .lines()
            .any(|l| l == "     Active: failed (Result: resources)"),
        "{out:?}"
    );
    assert!(out.stdout.starts_with("× foo.service - Foo Daemon\n"));
    let p = t.systemctl(&["show", "foo", "-P", "MainPID"]);
    assert_eq!(p.stdout, "0\n");
}

#[test]
fn inactive_masked_not_found_and_drop_ins() {
    let t = tree();
    t.write(
        "/etc/systemd/system/foo.service.d/10-restart.conf",
        "[Service]\nRestart=always\n",
    );
    t.write(
        "/etc/systemd/system/foo.service.d/20-env.conf",
        "[Service]\nEnvironment=A=1\n",
    );
    t.write(
        "/run/systemd/system/foo.service.d/30-run.conf",
        "[Unit]\nAfter=x.target\n",
    );
    t.symlink("/dev/null", "/etc/systemd/system/masked.service");

    let out = t.systemctl(&["status", "foo"]);
    assert_eq!(out.code, 3);
    assert_eq!(
        out.stdout,
        "○ foo.service - Foo Daemon\n\
         \x20    Loaded: loaded (/etc/systemd/system/foo.service; enabled; preset: enabled)\n\
         \x20   Drop-In: /etc/systemd/system/foo.service.d\n\
         \x20            └─10-restart.conf, 20-env.conf\n\
         \x20            /run/systemd/system/foo.service.d\n\
         \x20            └─30-run.conf\n\
         \x20    Active: inactive (dead)\n\
         \x20      Docs: man:foo(8)\n\
         \x20            https://example.com/foo\n"
    );

    let masked = t.systemctl(&["status", "masked"]);
    assert_eq!(masked.code, 3);
    assert_eq!(
        masked.stdout,
        "○ masked.service\n\
         \x20    Loaded: masked (Reason: Unit masked.service is masked.)\n\
         \x20    Active: inactive (dead)\n"
    );

    // Not found: no block, a message, exit 4; the first non-zero code wins.
    let ghost = t.systemctl(&["status", "ghost"]);
    assert_eq!(
        (ghost.code, ghost.stdout.as_str(), ghost.stderr.as_str()),
        (4, "", "Unit ghost.service could not be found.\n")
    );
    let both = t.systemctl(&["status", "ghost", "masked"]);
    assert_eq!(both.code, 4);
    assert!(both.stdout.starts_with("○ masked.service\n"));

    let pid = t.systemctl(&["status", "4000123"]);
    assert_eq!(pid.code, 1);
    assert_eq!(
        pid.stderr,
        "Failed to get unit for PID 4000123: PID 4000123 does not belong to any loaded unit.\n"
    );
}

#[test]
fn status_without_units_summarises_the_manager() {
    let t = tree();
    let dir = state_dir(&t);
    let mut s = UnitState::default();
    s.set_state(ActiveState::Failed, SubState::Failed, ago(1));
    s.result = UnitResult::ExitCode;
    s.write(&dir.unit_paths("foo.service").state).unwrap();
    let out = t.systemctl(&["status"]);
    out.ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], format!("● {}", hostname()));
    assert_eq!(
        &lines[1..5],
        [
            "    State: degraded",
            "    Units: 2 loaded (incl. loaded aliases)",
            "     Jobs: 0 queued",
            "   Failed: 1 units",
        ]
    );
}

/// Stops the unit when the test ends, however it ends; kills the unit's supervisor only if
/// it is still alive after that (it was started by this test).
struct StopOnDrop<'a> {
    tree: &'a Tree,
    unit: &'a str,
}

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        let _ = self.tree.systemctl(&["stop", self.unit]);
        let dir = state_dir(self.tree);
        let paths = dir.unit_paths(self.unit);
        let s = UnitState::read(&paths.state);
        if s.supervisor_pid != 0 && unitbox_core::state::lock::is_alive(&paths.alive) {
            // SAFETY: kill(2) on the supervisor this test launched.
            unsafe { libc::kill(s.supervisor_pid as libc::pid_t, libc::SIGKILL) };
        }
    }
}

#[test]
fn status_of_a_service_started_for_real() {
    let t = Tree::new();
    t.write(
        "/etc/systemd/system/e2e.service",
        "[Unit]\nDescription=E2E sleeper\n[Service]\nType=exec\n\
         ExecStartPre=/bin/echo pre-step\nExecStart=/bin/sleep 300\n",
    );
    let _stop = StopOnDrop {
        tree: &t,
        unit: "e2e.service",
    };
    t.systemctl(&["start", "e2e"]).ok();

    let out = t.systemctl(&["status", "e2e"]);
    assert_eq!(out.code, 0, "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "● e2e.service - E2E sleeper");
    assert_eq!(
        lines[1],
        "     Loaded: loaded (/etc/systemd/system/e2e.service; static)"
    );
    assert!(
        lines[2].starts_with("     Active: active (running) since "),
        "{out:?}"
    );
    assert!(lines[3].starts_with("    Process: "), "{out:?}");
    assert!(
        lines[3].ends_with(" ExecStartPre=/bin/echo pre-step (code=exited, status=0/SUCCESS)"),
        "{out:?}"
    );
    let main_pid = t.systemctl(&["show", "e2e", "-P", "MainPID"]).stdout;
    assert_eq!(
        lines[4],
        format!("   Main PID: {} (sleep)", main_pid.trim())
    );
    assert_eq!(lines[5], "");
    assert!(lines.iter().any(|l| l.ends_with(": pre-step")), "{out:?}");

    t.systemctl(&["stop", "e2e"]).ok();
    let out = t.systemctl(&["status", "e2e", "-n", "0"]);
    assert_eq!(out.code, 3, "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines[2].starts_with("     Active: inactive (dead) since "),
        "{out:?}"
    );
    assert!(lines[3].starts_with("   Duration: "), "{out:?}");
    assert_eq!(
        lines.last().copied(),
        Some(
            format!(
                "   Main PID: {} (code=killed, signal=TERM)",
                main_pid.trim()
            )
            .as_str()
        )
    );
}
