//! Running and stopping: the supervision loop of an active unit (main process exit,
//! watchdog, RuntimeMaxSec=, reload and stop requests) and the stop sequence of
//! systemd.kill(5): ExecStop=, KillSignal= per KillMode=, FinalKillSignal= after
//! TimeoutStopSec=, ExecStopPost=.

use super::kill::{process_name, signal_all, stop_targets, unit_processes};
use super::launch::CommandKind;
use super::restart::{failure_result, is_clean_exit};
use super::service::{deadline_after, CommandOutcome, Supervisor, ERR, INFO, NOTICE, WARNING};
use crate::exec::exit_status::signal_name;
use crate::service::types::{KillMode, ServiceType};
use crate::state::{ActiveState, SubState, UnitResult};
use crate::supervisor::protocol::Reply;
use std::time::Instant;

impl Supervisor {
    /// Supervises an active unit until it has stopped (for whatever reason).
    pub fn supervise(&mut self) {
        let runtime_deadline = deadline_after(self.config.runtime_max);
        loop {
            if let Some(status) = self.collect_main_exit() {
                let clean = is_clean_exit(status, &self.config, false);
                self.log_main_exit(status, clean);
                if clean && self.config.remain_after_exit {
                    self.set(ActiveState::Active, SubState::Exited);
                    continue;
                }
                if !clean {
                    self.fail(failure_result(status));
                }
                self.stop_sequence(true);
                return;
            }
            if self.main_pid.is_none()
                && self.state.sub_state == SubState::Running
                && !self.has_processes()
            {
                // A forking service without a known main process: it ends with its last process.
                self.stop_sequence(true);
                return;
            }
            if self.stop_requested {
                self.stop_sequence(true);
                return;
            }
            if let Some(client) = self.reload_queue.pop_front() {
                let reply = self.reload();
                self.control.answer(client, &reply);
                continue;
            }
            if self.watchdog_deadline.is_some_and(|d| Instant::now() >= d) {
                self.watchdog_deadline = None;
                let limit = crate::unit::value::format_timespan(self.watchdog_usec);
                self.unit_log(ERR, &format!("Watchdog timeout (limit {limit})!"));
                self.fail(UnitResult::Watchdog);
                self.kill_phase(
                    self.config.kill.watchdog_signal,
                    SubState::StopWatchdog,
                    SubState::StopSigkill,
                    self.config.timeout_abort,
                );
                self.stop_post_and_finish();
                return;
            }
            if runtime_deadline.is_some_and(|d| Instant::now() >= d) {
                self.unit_log(WARNING, "Service reached runtime time limit. Stopping.");
                self.fail(UnitResult::Timeout);
                self.stop_sequence(true);
                return;
            }
            if std::mem::take(&mut self.notified.stopping) {
                self.set(ActiveState::Deactivating, SubState::Stop);
            }
            self.step(runtime_deadline);
        }
    }

    /// ExecReload=, or ReloadSignal= for notify-reload; the unit keeps running whatever
    /// the outcome.
    fn reload(&mut self) -> Reply {
        let notify_reload = self.config.service_type == ServiceType::NotifyReload;
        if self.state.active_state != ActiveState::Active {
            return Reply::Failed {
                result: "not-active".into(),
            };
        }
        if !notify_reload && self.config.exec_reload.is_empty() {
            return Reply::Failed {
                result: "not-reloadable".into(),
            };
        }
        let text = format!("Reloading {}...", self.display_description());
        self.log(INFO, &text);
        let outcome = if notify_reload {
            self.reload_by_signal()
        } else {
            self.set(ActiveState::Reloading, SubState::Reload);
            let mut outcome = CommandOutcome::Success;
            for command in self.config.exec_reload.clone() {
                let env = self.command_env(true);
                outcome = self.run_control(
                    CommandKind::Reload,
                    &command,
                    &env,
                    self.config.timeout_start,
                    false,
                );
                if outcome != CommandOutcome::Success {
                    break;
                }
            }
            outcome
        };
        if outcome == CommandOutcome::Timeout {
            if let Some(pid) = self.control_pid {
                signal_all(&[pid], libc::SIGKILL);
            }
        }
        let sub = if self.main_alive() || self.main_pid.is_none() && self.has_processes() {
            SubState::Running
        } else if self.config.remain_after_exit {
            SubState::Exited
        } else {
            SubState::Running
        };
        self.set(ActiveState::Active, sub);
        match outcome {
            CommandOutcome::Success => {
                let text = format!("Reloaded {}.", self.display_description());
                self.log(INFO, &text);
                Reply::Ok
            }
            CommandOutcome::Failed(result, _) => {
                let text = format!("Reload failed for {}.", self.display_description());
                self.log(ERR, &text);
                Reply::Failed {
                    result: result.as_str().into(),
                }
            }
            CommandOutcome::Timeout => Reply::Failed {
                result: "timeout".into(),
            },
            CommandOutcome::Interrupted => Reply::Failed {
                result: "canceled".into(),
            },
        }
    }

    /// Type=notify-reload: ReloadSignal= to the main process, then RELOADING=1 and READY=1.
    fn reload_by_signal(&mut self) -> CommandOutcome {
        let Some(main) = self.main_pid else {
            return CommandOutcome::Failed(UnitResult::Resources, None);
        };
        self.notified.reloading = false;
        self.notified.ready = false;
        self.set(ActiveState::Reloading, SubState::ReloadSignal);
        signal_all(&[main], self.config.reload_signal);
        let deadline = deadline_after(self.config.timeout_start);
        self.extended_until = None;
        let mut saw_reloading = false;
        loop {
            if !saw_reloading && std::mem::take(&mut self.notified.reloading) {
                saw_reloading = true;
                self.set(ActiveState::Reloading, SubState::ReloadNotify);
            }
            if saw_reloading && std::mem::take(&mut self.notified.ready) {
                return CommandOutcome::Success;
            }
            if !self.main_alive() {
                return CommandOutcome::Failed(UnitResult::Protocol, None);
            }
            let effective = self.effective_deadline(deadline);
            if effective.is_some_and(|d| Instant::now() >= d) {
                return CommandOutcome::Timeout;
            }
            self.step(effective);
        }
    }

    /// The whole stop: ExecStop= (only when `started`), the kill phase, ExecStopPost=, the
    /// final state.
    pub fn stop_sequence(&mut self, started: bool) {
        let stop_commands = self.config.exec_stop.clone();
        if started && self.stop_requested {
            let text = format!("Stopping {}...", self.display_description());
            self.log(INFO, &text);
        }
        if started && !stop_commands.is_empty() {
            self.set(ActiveState::Deactivating, SubState::Stop);
            for command in &stop_commands {
                let env = self.stop_env(self.main_alive());
                match self.run_control(
                    CommandKind::Stop,
                    command,
                    &env,
                    self.config.timeout_stop,
                    false,
                ) {
                    CommandOutcome::Success => {}
                    CommandOutcome::Failed(result, _) => {
                        self.fail(result);
                        break;
                    }
                    CommandOutcome::Timeout | CommandOutcome::Interrupted => {
                        self.fail(UnitResult::Timeout);
                        break;
                    }
                }
            }
        }
        let signal = if self.restarting {
            self.config.kill.restart_signal
        } else {
            self.config.kill.signal
        };
        self.kill_phase(
            signal,
            SubState::StopSigterm,
            SubState::StopSigkill,
            self.config.timeout_stop,
        );
        self.stop_post_and_finish();
    }

    fn stop_env(&self, with_main: bool) -> super::launch::CommandEnv {
        let mut env = self.command_env(with_main);
        env.extra.push((
            "SERVICE_RESULT".into(),
            self.state.result.as_str().to_string(),
        ));
        if let Some(status) = self.last_main_status {
            env.extra
                .push(("EXIT_CODE".into(), status.code_name().to_string()));
            env.extra
                .push(("EXIT_STATUS".into(), status.status_value()));
        }
        env
    }

    /// ExecStopPost=, the final kill of anything left, cleanup, and the final state.
    pub fn stop_post_and_finish(&mut self) {
        self.restarting = !self.stop_requested
            && super::restart::should_restart(
                &self.config,
                self.state.result,
                self.last_main_status,
            );
        let post = self.config.exec_stop_post.clone();
        if !post.is_empty() {
            self.set(ActiveState::Deactivating, SubState::StopPost);
            for command in &post {
                let env = self.stop_env(false);
                match self.run_control(
                    CommandKind::StopPost,
                    command,
                    &env,
                    self.config.timeout_stop,
                    false,
                ) {
                    CommandOutcome::Success => {}
                    CommandOutcome::Failed(result, _) => self.fail(result),
                    CommandOutcome::Timeout | CommandOutcome::Interrupted => {
                        self.fail(UnitResult::Timeout)
                    }
                }
            }
        }
        self.kill_phase(
            self.config.kill.signal,
            SubState::FinalSigterm,
            SubState::FinalSigkill,
            self.config.timeout_stop,
        );
        // At rest: what the unit's processes wrote comes before its final messages, and a
        // process left behind (KillMode=process) keeps no pipe of ours.
        self.output.close_all();
        if let Err(e) = crate::exec::dirs::remove_runtime_directories(
            &self.config.exec.directories,
            &self.scope,
            self.restarting,
        ) {
            self.unit_log(
                WARNING,
                &format!("Failed to remove runtime directories: {e}"),
            );
        }
        if let Some(pid_file) = &self.config.pid_file {
            let _ = std::fs::remove_file(self.scope.root.host_path(pid_file));
        }
        self.main_pid = None;
        self.main_pidfd = None;
        self.control_pid = None;
        self.watchdog_deadline = None;
        self.exits.clear();
        match self.state.result {
            UnitResult::Success | UnitResult::ExecCondition => {
                if self.state.result == UnitResult::Success {
                    self.unit_log(INFO, "Deactivated successfully.");
                }
                let was_started = self.reported;
                self.set(ActiveState::Inactive, SubState::Dead);
                if was_started && self.stop_requested {
                    let text = format!("Stopped {}.", self.display_description());
                    self.log(INFO, &text);
                }
            }
            result => {
                self.unit_log(WARNING, &format!("Failed with result '{result}'."));
                if !self.reported {
                    let text = format!("Failed to start {}.", self.display_description());
                    self.log(ERR, &text);
                }
                self.set(ActiveState::Failed, SubState::Failed);
            }
        }
    }

    /// Whether the processes this kill phase waits for are gone.
    fn kill_done(&mut self, mode: KillMode) -> bool {
        let _ = self.collect_main_exit();
        let _ = self.collect_control_exit();
        match mode {
            KillMode::ControlGroup => !self.has_processes(),
            _ => self.main_pid.is_none() && self.control_pid.is_none(),
        }
    }

    /// Sends `signal` per KillMode= and waits up to `timeout_us`; then FinalKillSignal=
    /// (with SendSIGKILL=yes) and waits again. A phase with nobody to signal is skipped.
    pub fn kill_phase(
        &mut self,
        signal: i32,
        term_sub: SubState,
        kill_sub: SubState,
        timeout_us: u64,
    ) {
        let kill = self.config.kill;
        let _ = self.collect_main_exit();
        let _ = self.collect_control_exit();
        let all = unit_processes();
        let targets = stop_targets(kill.mode, false, self.main_pid, self.control_pid, &all);
        if targets.is_empty() {
            return;
        }
        self.set(ActiveState::Deactivating, term_sub);
        signal_all(&targets, signal);
        if kill.send_sighup {
            signal_all(&targets, libc::SIGHUP);
        }
        if signal != libc::SIGKILL && signal != libc::SIGCONT {
            signal_all(&targets, libc::SIGCONT);
        }
        if self.wait_gone(kill.mode, deadline_after(timeout_us)) {
            if kill.mode == KillMode::Mixed {
                // mixed: SIGTERM went to the main process only; the rest gets SIGKILL.
                signal_all(&unit_processes(), libc::SIGKILL);
                self.wait_gone(KillMode::ControlGroup, deadline_after(timeout_us));
            }
            return;
        }
        let phase = term_sub.as_str();
        if !kill.send_sigkill {
            self.unit_log(
                WARNING,
                &format!("State '{phase}' timed out. Skipping SIGKILL."),
            );
            self.fail(UnitResult::Timeout);
            return;
        }
        self.unit_log(NOTICE, &format!("State '{phase}' timed out. Killing."));
        self.fail(UnitResult::Timeout);
        self.set(ActiveState::Deactivating, kill_sub);
        let all = unit_processes();
        let targets = stop_targets(kill.mode, true, self.main_pid, self.control_pid, &all);
        for &pid in &targets {
            let name = process_name(pid);
            let sig = signal_name(kill.final_signal);
            self.unit_log(
                NOTICE,
                &format!("Killing process {pid} ({name}) with signal SIG{sig}."),
            );
        }
        signal_all(&targets, kill.final_signal);
        if !self.wait_gone(kill.mode, deadline_after(timeout_us)) {
            self.unit_log(
                WARNING,
                "Processes still around after final SIGKILL. Entering failed mode.",
            );
        }
    }

    fn wait_gone(&mut self, mode: KillMode, deadline: Option<Instant>) -> bool {
        loop {
            if self.kill_done(mode) {
                return true;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return false;
            }
            self.step(deadline);
        }
    }

    /// RestartSec= in state auto-restart; false when a stop request cancels the restart.
    pub fn wait_restart(&mut self) -> bool {
        self.set(ActiveState::Activating, SubState::AutoRestart);
        let deadline = deadline_after(self.config.restart_sec);
        loop {
            if self.stop_requested {
                self.set(ActiveState::Inactive, SubState::Dead);
                return false;
            }
            if let Some(client) = self.reload_queue.pop_front() {
                self.control.answer(
                    client,
                    &Reply::Failed {
                        result: "not-active".into(),
                    },
                );
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return true;
            }
            self.step(deadline);
        }
    }
}
