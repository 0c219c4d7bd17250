//! The vocabularies of a unit's runtime state, spelled exactly as systemd does:
//! `ActiveState=`, `SubState=`, `Result=` and the `ExecMainCode=` of `waitid()`.

/// Declares an enum of systemd's words with `as_str`, `parse` and `Display`.
macro_rules! words {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $word:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vmeta])* $variant,)+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word,)+ }
            }

            pub fn parse(word: &str) -> Option<Self> {
                match word { $($word => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// The crate's other vocabularies (e.g. `UnitFileState=`) are declared the same way.
pub(crate) use words;

words! {
    /// `ActiveState=`: the high-level state every unit type shares.
    ActiveState {
        Active = "active",
        Reloading = "reloading",
        Inactive = "inactive",
        Failed = "failed",
        Activating = "activating",
        Deactivating = "deactivating",
        Maintenance = "maintenance",
        Refreshing = "refreshing",
    }
}

impl ActiveState {
    /// `UNIT_IS_ACTIVE_OR_RELOADING()`.
    pub fn is_active_or_reloading(self) -> bool {
        matches!(
            self,
            ActiveState::Active | ActiveState::Reloading | ActiveState::Refreshing
        )
    }

    /// `UNIT_IS_INACTIVE_OR_FAILED()`.
    pub fn is_inactive_or_failed(self) -> bool {
        matches!(self, ActiveState::Inactive | ActiveState::Failed)
    }
}

words! {
    /// `SubState=`: the words of services (systemd 252 and later), targets, timers, sockets
    /// and paths.
    SubState {
        Dead = "dead",
        Condition = "condition",
        StartPre = "start-pre",
        Start = "start",
        StartPost = "start-post",
        Running = "running",
        Exited = "exited",
        Reload = "reload",
        ReloadSignal = "reload-signal",
        ReloadNotify = "reload-notify",
        Stop = "stop",
        StopWatchdog = "stop-watchdog",
        StopSigterm = "stop-sigterm",
        StopSigkill = "stop-sigkill",
        StopPost = "stop-post",
        FinalWatchdog = "final-watchdog",
        FinalSigterm = "final-sigterm",
        FinalSigkill = "final-sigkill",
        Failed = "failed",
        AutoRestart = "auto-restart",
        AutoRestartQueued = "auto-restart-queued",
        DeadBeforeAutoRestart = "dead-before-auto-restart",
        FailedBeforeAutoRestart = "failed-before-auto-restart",
        DeadResourcesPinned = "dead-resources-pinned",
        Cleaning = "cleaning",
        /// Targets.
        Active = "active",
        /// Timers and paths.
        Waiting = "waiting",
        Elapsed = "elapsed",
        /// Sockets.
        StartChown = "start-chown",
        Listening = "listening",
        StopPre = "stop-pre",
        StopPreSigterm = "stop-pre-sigterm",
        StopPreSigkill = "stop-pre-sigkill",
    }
}

words! {
    /// `Result=`, also `$SERVICE_RESULT`.
    UnitResult {
        Success = "success",
        Resources = "resources",
        Protocol = "protocol",
        Timeout = "timeout",
        ExitCode = "exit-code",
        Signal = "signal",
        CoreDump = "core-dump",
        Watchdog = "watchdog",
        StartLimitHit = "start-limit-hit",
        OomKill = "oom-kill",
        ExecCondition = "exec-condition",
        TriggerLimitHit = "trigger-limit-hit",
        ServiceStartLimitHit = "service-start-limit-hit",
    }
}

/// `ExecMainCode=`: how the main process ended, as the `si_code` of `waitid()`; `show`
/// prints the number, `status` the word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExitCode {
    #[default]
    NotExited,
    Exited,
    Killed,
    Dumped,
}

impl ExitCode {
    pub fn as_number(self) -> i32 {
        match self {
            ExitCode::NotExited => 0,
            ExitCode::Exited => libc::CLD_EXITED,
            ExitCode::Killed => libc::CLD_KILLED,
            ExitCode::Dumped => libc::CLD_DUMPED,
        }
    }

    pub fn from_number(n: i32) -> Option<Self> {
        match n {
            0 => Some(ExitCode::NotExited),
            libc::CLD_EXITED => Some(ExitCode::Exited),
            libc::CLD_KILLED => Some(ExitCode::Killed),
            libc::CLD_DUMPED => Some(ExitCode::Dumped),
            _ => None,
        }
    }

    /// The `code=` word of `systemctl status` (`sigchld_code_to_string`).
    pub fn as_word(self) -> &'static str {
        match self {
            ExitCode::NotExited => "",
            ExitCode::Exited => "exited",
            ExitCode::Killed => "killed",
            ExitCode::Dumped => "dumped",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        for w in ActiveState::ALL {
            assert_eq!(ActiveState::parse(w.as_str()), Some(*w));
        }
        for w in SubState::ALL {
            assert_eq!(SubState::parse(w.as_str()), Some(*w));
        }
        for w in UnitResult::ALL {
            assert_eq!(UnitResult::parse(w.as_str()), Some(*w));
        }
        assert_eq!(UnitResult::StartLimitHit.to_string(), "start-limit-hit");
        assert_eq!(SubState::parse("stop-sigterm"), Some(SubState::StopSigterm));
        assert_eq!(ActiveState::parse("running"), None);
        assert_eq!(ExitCode::from_number(2), Some(ExitCode::Killed));
        assert_eq!(ExitCode::Dumped.as_word(), "dumped");
        assert!(ActiveState::Reloading.is_active_or_reloading());
        assert!(ActiveState::Failed.is_inactive_or_failed());
    }
}
