//! The start job (systemd.service(5)): start limit, conditions, ExecCondition=,
//! ExecStartPre=, ExecStart= by `Type=`, ExecStartPost=, then running.

use super::launch::CommandKind;
use super::restart::{failure_result, is_clean_exit, start_allowed};
use super::service::{
    deadline_after, CommandOutcome, Supervisor, Waited, ERR, INFO, NOTICE, WARNING,
};
use crate::condition::{evaluate, ConditionContext, Verdict};
use crate::exec::spawn::ExitStatus;
use crate::manager::executor::record_condition_outcome;
use crate::service::types::ServiceType;
use crate::state::{ActiveState, SubState, UnitResult};
use crate::time::{now_monotonic_us, DualTimestamp};
use std::time::Instant;

/// How an activation ended.
pub enum Activation {
    /// The unit is active (running or exited): supervise it.
    Running,
    /// The unit is at rest again (inactive or failed), everything already cleaned up.
    Ended,
}

fn new_invocation_id() -> String {
    let mut bytes = [0u8; 16];
    let ok = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes))
        .is_ok();
    if !ok {
        // No /dev/urandom in a bare root: time and pid are unique enough for an id.
        let seed = crate::time::now_realtime_us() ^ ((std::process::id() as u64) << 40);
        bytes[..8].copy_from_slice(&seed.to_le_bytes());
        bytes[8..].copy_from_slice(&now_monotonic_us().to_le_bytes());
    }
    // A v4 UUID, as systemd's sd_id128_randomize().
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Supervisor {
    /// The unit's `Description=` as the job messages name it.
    pub(super) fn display_description(&self) -> String {
        self.unit.display_description(&self.scope)
    }

    pub fn activate(&mut self) -> Activation {
        self.state.result = UnitResult::Success;
        self.skipped = None;
        self.last_main_status = None;
        self.restarting = false;
        // As systemd's unit_start(): conditions and asserts first, so a skipped start
        // neither counts against the start limit nor gets a new invocation.
        if let Some(end) = self.check_conditions() {
            return end;
        }
        if !start_allowed(
            &mut self.state.start_limit_history,
            now_monotonic_us(),
            self.config.start_limit_interval,
            self.config.start_limit_burst,
        ) {
            self.unit_log(WARNING, "Start request repeated too quickly.");
            self.state.result = UnitResult::StartLimitHit;
            self.unit_log(WARNING, "Failed with result 'start-limit-hit'.");
            let text = format!("Failed to start {}.", self.display_description());
            self.log(ERR, &text);
            self.set(ActiveState::Failed, SubState::Failed);
            return Activation::Ended;
        }
        self.state.invocation_id = new_invocation_id();
        self.output.invocation_id = self.state.invocation_id.clone();
        self.state.processes.clear();
        self.state.status_text.clear();
        self.state.status_errno = 0;
        self.save();

        let text = format!("Starting {}...", self.display_description());
        self.log(INFO, &text);
        if self.config.service_type == ServiceType::Dbus {
            self.unit_log(
                ERR,
                "Type=dbus is not supported: there is no D-Bus broker in this container manager.",
            );
            self.set(ActiveState::Activating, SubState::Start);
            return self.end_start(UnitResult::Resources);
        }

        if let Some(end) = self.run_phase(CommandKind::Condition, SubState::Condition) {
            return end;
        }
        if let Some(end) = self.run_phase(CommandKind::StartPre, SubState::StartPre) {
            return end;
        }
        if let Some(end) = self.start_main() {
            return end;
        }
        if let Some(end) = self.run_phase(CommandKind::StartPost, SubState::StartPost) {
            return end;
        }
        self.enter_running()
    }

    /// Tests and records the `Condition*=`/`Assert*=` settings; `Some` when the start ends
    /// here (skipped, or failed by an assert), with the state file saying so.
    fn check_conditions(&mut self) -> Option<Activation> {
        let ctx = ConditionContext::current(&self.scope);
        let outcome = evaluate(&self.unit, &ctx);
        for w in &outcome.warnings {
            log::warn!("{}: {w}", self.name);
        }
        record_condition_outcome(&mut self.state, &outcome, DualTimestamp::now());
        match outcome.verdict {
            Verdict::Met => None,
            Verdict::ConditionFailed => {
                let text = format!(
                    "Condition check resulted in {} being skipped.",
                    self.display_description()
                );
                self.log(INFO, &text);
                self.skipped = Some(outcome.not_met().join(" "));
                self.set(ActiveState::Inactive, SubState::Dead);
                Some(Activation::Ended)
            }
            Verdict::AssertFailed => {
                self.unit_log(NOTICE, "Starting requested but asserts failed.");
                let text = format!("Assertion failed for {}.", self.display_description());
                self.log(WARNING, &text);
                // The state file says why before systemctl hears of the failure.
                self.save();
                self.send_report(&crate::supervisor::protocol::StartOutcome::Failed {
                    result: "assert".into(),
                });
                // The job fails; the unit itself stays inactive, as in systemd.
                self.set(ActiveState::Inactive, SubState::Dead);
                Some(Activation::Ended)
            }
        }
    }

    fn commands(&self, kind: CommandKind) -> Vec<crate::exec::command::ExecCommand> {
        let c = &self.config;
        match kind {
            CommandKind::Condition => c.exec_condition.clone(),
            CommandKind::StartPre => c.exec_start_pre.clone(),
            CommandKind::Start => c.exec_start.clone(),
            CommandKind::StartPost => c.exec_start_post.clone(),
            CommandKind::Reload => c.exec_reload.clone(),
            CommandKind::Stop => c.exec_stop.clone(),
            CommandKind::StopPost => c.exec_stop_post.clone(),
        }
    }

    /// Runs the control commands of one start phase; `Some` when the start ended there.
    fn run_phase(&mut self, kind: CommandKind, sub: SubState) -> Option<Activation> {
        let commands = self.commands(kind);
        if commands.is_empty() {
            return None;
        }
        self.set(ActiveState::Activating, sub);
        for command in &commands {
            let env = self.command_env(kind == CommandKind::StartPost);
            match self.run_control(kind, command, &env, self.config.timeout_start, true) {
                CommandOutcome::Success => {}
                CommandOutcome::Failed(_, Some(ExitStatus::Exited(code)))
                    if kind == CommandKind::Condition && (1..=254).contains(&code) =>
                {
                    let text = format!("Skipped due to '{}'.", "exec-condition");
                    self.unit_log(INFO, &text);
                    self.skipped = Some(format!("ExecCondition={}", command.display()));
                    return Some(self.end_start(UnitResult::ExecCondition));
                }
                CommandOutcome::Failed(result, _) => return Some(self.end_start(result)),
                CommandOutcome::Timeout => return Some(self.end_start(UnitResult::Timeout)),
                CommandOutcome::Interrupted => return Some(self.cancel_start()),
            }
        }
        None
    }

    /// The start failed with `result`: kill what runs, ExecStopPost=, failed (ExecStop= is
    /// skipped: it only runs for units that started).
    fn end_start(&mut self, result: UnitResult) -> Activation {
        self.fail(result);
        self.stop_sequence(false);
        Activation::Ended
    }

    /// A stop request arrived during the start: the start job is cancelled.
    fn cancel_start(&mut self) -> Activation {
        self.start_canceled = !self.reported;
        self.stop_sequence(false);
        Activation::Ended
    }

    /// ExecStart= by Type=; `Some` when the start ended here.
    fn start_main(&mut self) -> Option<Activation> {
        let commands = self.commands(CommandKind::Start);
        let service_type = self.config.service_type;
        if commands.is_empty() {
            // Only oneshot services may lack ExecStart= (with RemainAfterExit=yes).
            return None;
        }
        self.set(ActiveState::Activating, SubState::Start);
        match service_type {
            ServiceType::Oneshot => {
                for command in &commands {
                    let pid = match self.spawn_main(command) {
                        Ok(pid) => pid,
                        Err(result) => return Some(self.end_start(result)),
                    };
                    match self.wait_pid(pid, deadline_after(self.config.timeout_start), true) {
                        Waited::Exited(status) => {
                            self.exits.insert(pid, status);
                            let status = self.collect_main_exit().unwrap_or(status);
                            let clean = is_clean_exit(status, &self.config, true);
                            self.log_main_exit(status, clean);
                            if !clean && !command.flags.ignore_failure {
                                return Some(self.end_start(failure_result(status)));
                            }
                        }
                        Waited::Timeout => {
                            self.unit_log(WARNING, "start operation timed out. Terminating.");
                            return Some(self.end_start(UnitResult::Timeout));
                        }
                        Waited::Interrupted => return Some(self.cancel_start()),
                    }
                }
                None
            }
            ServiceType::Forking => {
                let env = self.command_env(false);
                let pid = match self.launch(CommandKind::Start, &commands[0], &env) {
                    Ok(pid) => pid,
                    Err((result, _)) => return Some(self.end_start(result)),
                };
                // The first process is a control process; the daemon it leaves is the main one.
                self.control_pid = Some(pid);
                self.save();
                let deadline = deadline_after(self.config.timeout_start);
                match self.wait_pid(pid, deadline, true) {
                    Waited::Exited(status) => {
                        self.control_pid = None;
                        self.record_exit(pid, status);
                        let clean = matches!(status, ExitStatus::Exited(0))
                            || is_clean_exit(status, &self.config, true);
                        if !clean {
                            self.unit_log(
                                NOTICE,
                                &format!(
                                    "Control process exited, code={}, {}",
                                    status.code_name(),
                                    status.describe()
                                ),
                            );
                            return Some(self.end_start(failure_result(status)));
                        }
                    }
                    Waited::Timeout => {
                        self.unit_log(WARNING, "start operation timed out. Terminating.");
                        return Some(self.end_start(UnitResult::Timeout));
                    }
                    Waited::Interrupted => return Some(self.cancel_start()),
                }
                self.find_forked_main(deadline)
            }
            ServiceType::Notify | ServiceType::NotifyReload => {
                let pid = match self.spawn_main(&commands[0]) {
                    Ok(pid) => pid,
                    Err(result) => return Some(self.end_start(result)),
                };
                let _ = pid;
                self.wait_ready()
            }
            // simple, exec (wait_exec happened in launch), idle.
            _ => match self.spawn_main(&commands[0]) {
                Ok(_) => None,
                Err(result) => Some(self.end_start(result)),
            },
        }
    }

    fn spawn_main(
        &mut self,
        command: &crate::exec::command::ExecCommand,
    ) -> Result<i32, UnitResult> {
        let env = self.command_env(false);
        match self.launch(CommandKind::Start, command, &env) {
            Ok(pid) => {
                self.set_main_pid(pid);
                self.rearm_watchdog();
                Ok(pid)
            }
            Err((result, status)) => {
                if let Some(status) = status {
                    self.last_main_status = Some(status);
                    let (code, value) = super::service::exit_code_and_status(status);
                    self.state.exec_main_code = code;
                    self.state.exec_main_status = value;
                }
                Err(result)
            }
        }
    }

    /// Type=notify: waits for READY=1; the main process ending first is a protocol error.
    fn wait_ready(&mut self) -> Option<Activation> {
        let deadline = deadline_after(self.config.timeout_start);
        self.extended_until = None;
        loop {
            if self.notified.ready {
                self.notified.ready = false;
                return None;
            }
            if let Some(status) = self.collect_main_exit() {
                let clean = is_clean_exit(status, &self.config, false);
                self.log_main_exit(status, clean);
                let result = if clean {
                    UnitResult::Protocol
                } else {
                    failure_result(status)
                };
                return Some(self.end_start(result));
            }
            if self.stop_requested {
                return Some(self.cancel_start());
            }
            let effective = self.effective_deadline(deadline);
            if effective.is_some_and(|d| Instant::now() >= d) {
                self.unit_log(WARNING, "start operation timed out. Terminating.");
                return Some(self.end_start(UnitResult::Timeout));
            }
            self.step(effective);
        }
    }

    /// Type=forking after the first process succeeded: the main pid from PIDFile= (waiting
    /// for it within the start timeout) or, with GuessMainPID=yes, our only child.
    fn find_forked_main(&mut self, deadline: Option<Instant>) -> Option<Activation> {
        if let Some(logical) = self.config.pid_file.clone() {
            let host = self.scope.root.host_path(&logical);
            let watch = super::pidfile::Watch::new(&host);
            loop {
                match super::pidfile::read_pid(&host) {
                    Some(pid) if pid > 1 && super::pidfile::alive(pid) => {
                        self.set_main_pid(pid);
                        self.rearm_watchdog();
                        return None;
                    }
                    Some(pid) => {
                        self.unit_log(
                            WARNING,
                            &format!(
                                "PID {pid} read from file {} does not exist or is a zombie.",
                                logical.display()
                            ),
                        );
                        return Some(self.end_start(UnitResult::Protocol));
                    }
                    None => {}
                }
                if self.stop_requested {
                    return Some(self.cancel_start());
                }
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    self.unit_log(WARNING, "start operation timed out. Terminating.");
                    return Some(self.end_start(UnitResult::Timeout));
                }
                // inotify tells when the file appears; without it, look again at a modest pace.
                let next = match &watch {
                    Some(w) => {
                        w.drain();
                        None
                    }
                    None => Some(Instant::now() + std::time::Duration::from_millis(50)),
                };
                let wake = match (deadline, next) {
                    (Some(d), Some(n)) => Some(d.min(n)),
                    (d, n) => d.or(n),
                };
                self.step_with_extra(wake, watch.as_ref().map(|w| w.fd()));
            }
        }
        if self.config.guess_main_pid {
            let me = nix::unistd::getpid().as_raw();
            let children: Vec<i32> = super::kill::process_table()
                .into_iter()
                .filter(|&(_, ppid)| ppid == me)
                .map(|(pid, _)| pid)
                .collect();
            if let [only] = children.as_slice() {
                self.set_main_pid(*only);
                self.rearm_watchdog();
            } else if !children.is_empty() {
                self.unit_log(
                    INFO,
                    "Supervising process set without a main process (more than one candidate).",
                );
            }
        }
        None
    }

    /// Active: running with a main process (or any process when the main one is unknown),
    /// exited with RemainAfterExit=yes, or stopping right away.
    fn enter_running(&mut self) -> Activation {
        let running = self.main_alive()
            || (self.main_pid.is_none()
                && self.config.service_type == ServiceType::Forking
                && self.has_processes());
        if running {
            self.set(ActiveState::Active, SubState::Running);
        } else if self.config.remain_after_exit {
            self.set(ActiveState::Active, SubState::Exited);
        } else {
            // A oneshot that is done (or a service whose main process is gone already):
            // the regular stop follows, ExecStop= included.
            if self.config.service_type != ServiceType::Oneshot {
                if let Some(status) = self.collect_main_exit() {
                    let clean = is_clean_exit(status, &self.config, false);
                    self.log_main_exit(status, clean);
                    if !clean {
                        self.fail(failure_result(status));
                    }
                }
            }
            self.stop_sequence(true);
            return Activation::Ended;
        }
        let text = format!("Started {}.", self.display_description());
        self.log(INFO, &text);
        Activation::Running
    }
}
