//! Value types of `[Service]` settings (systemd.service(5), systemd.kill(5)).

/// `Type=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceType {
    Simple,
    Exec,
    Forking,
    Oneshot,
    Dbus,
    Notify,
    NotifyReload,
    Idle,
}

impl ServiceType {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "simple" => ServiceType::Simple,
            "exec" => ServiceType::Exec,
            "forking" => ServiceType::Forking,
            "oneshot" => ServiceType::Oneshot,
            "dbus" => ServiceType::Dbus,
            "notify" => ServiceType::Notify,
            "notify-reload" => ServiceType::NotifyReload,
            "idle" => ServiceType::Idle,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ServiceType::Simple => "simple",
            ServiceType::Exec => "exec",
            ServiceType::Forking => "forking",
            ServiceType::Oneshot => "oneshot",
            ServiceType::Dbus => "dbus",
            ServiceType::Notify => "notify",
            ServiceType::NotifyReload => "notify-reload",
            ServiceType::Idle => "idle",
        }
    }

    pub fn is_notify(self) -> bool {
        matches!(self, ServiceType::Notify | ServiceType::NotifyReload)
    }
}

/// `Restart=`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RestartPolicy {
    #[default]
    No,
    OnSuccess,
    OnFailure,
    OnAbnormal,
    OnWatchdog,
    OnAbort,
    Always,
}

impl RestartPolicy {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "no" => RestartPolicy::No,
            "on-success" => RestartPolicy::OnSuccess,
            "on-failure" => RestartPolicy::OnFailure,
            "on-abnormal" => RestartPolicy::OnAbnormal,
            "on-watchdog" => RestartPolicy::OnWatchdog,
            "on-abort" => RestartPolicy::OnAbort,
            "always" => RestartPolicy::Always,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RestartPolicy::No => "no",
            RestartPolicy::OnSuccess => "on-success",
            RestartPolicy::OnFailure => "on-failure",
            RestartPolicy::OnAbnormal => "on-abnormal",
            RestartPolicy::OnWatchdog => "on-watchdog",
            RestartPolicy::OnAbort => "on-abort",
            RestartPolicy::Always => "always",
        }
    }
}

/// `NotifyAccess=`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NotifyAccess {
    #[default]
    None,
    Main,
    Exec,
    All,
}

impl NotifyAccess {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "none" => NotifyAccess::None,
            "main" => NotifyAccess::Main,
            "exec" => NotifyAccess::Exec,
            "all" => NotifyAccess::All,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NotifyAccess::None => "none",
            NotifyAccess::Main => "main",
            NotifyAccess::Exec => "exec",
            NotifyAccess::All => "all",
        }
    }
}

/// `KillMode=`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum KillMode {
    #[default]
    ControlGroup,
    Mixed,
    Process,
    None,
}

impl KillMode {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "control-group" => KillMode::ControlGroup,
            "mixed" => KillMode::Mixed,
            "process" => KillMode::Process,
            "none" => KillMode::None,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            KillMode::ControlGroup => "control-group",
            KillMode::Mixed => "mixed",
            KillMode::Process => "process",
            KillMode::None => "none",
        }
    }
}

/// The systemd.kill(5) settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KillConfig {
    pub mode: KillMode,
    pub signal: i32,
    /// `RestartKillSignal=`: defaults to `KillSignal=`.
    pub restart_signal: i32,
    pub final_signal: i32,
    pub watchdog_signal: i32,
    pub send_sigkill: bool,
    pub send_sighup: bool,
}

impl Default for KillConfig {
    fn default() -> Self {
        KillConfig {
            mode: KillMode::ControlGroup,
            signal: libc::SIGTERM,
            restart_signal: libc::SIGTERM,
            final_signal: libc::SIGKILL,
            watchdog_signal: libc::SIGABRT,
            send_sigkill: true,
            send_sighup: false,
        }
    }
}

/// `FailureAction=`, `SuccessAction=` and friends (systemd.unit(5)). In a container the
/// reboot/poweroff/halt family ends the container; unitbox maps them when it is PID 1.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EmergencyAction {
    #[default]
    None,
    Reboot,
    RebootForce,
    RebootImmediate,
    Poweroff,
    PoweroffForce,
    PoweroffImmediate,
    Exit,
    ExitForce,
    SoftReboot,
    SoftRebootForce,
    Kexec,
    KexecForce,
    Halt,
    HaltForce,
    HaltImmediate,
}

impl EmergencyAction {
    const NAMES: [(&'static str, EmergencyAction); 16] = [
        ("none", EmergencyAction::None),
        ("reboot", EmergencyAction::Reboot),
        ("reboot-force", EmergencyAction::RebootForce),
        ("reboot-immediate", EmergencyAction::RebootImmediate),
        ("poweroff", EmergencyAction::Poweroff),
        ("poweroff-force", EmergencyAction::PoweroffForce),
        ("poweroff-immediate", EmergencyAction::PoweroffImmediate),
        ("exit", EmergencyAction::Exit),
        ("exit-force", EmergencyAction::ExitForce),
        ("soft-reboot", EmergencyAction::SoftReboot),
        ("soft-reboot-force", EmergencyAction::SoftRebootForce),
        ("kexec", EmergencyAction::Kexec),
        ("kexec-force", EmergencyAction::KexecForce),
        ("halt", EmergencyAction::Halt),
        ("halt-force", EmergencyAction::HaltForce),
        ("halt-immediate", EmergencyAction::HaltImmediate),
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Self::NAMES.iter().find(|(n, _)| *n == s).map(|(_, a)| *a)
    }

    pub fn as_str(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, a)| *a == self)
            .map(|(n, _)| *n)
            .unwrap_or("none")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for t in [
            "simple",
            "exec",
            "forking",
            "oneshot",
            "dbus",
            "notify",
            "notify-reload",
            "idle",
        ] {
            assert_eq!(ServiceType::parse(t).unwrap().as_str(), t);
        }
        for r in [
            "no",
            "on-success",
            "on-failure",
            "on-abnormal",
            "on-watchdog",
            "on-abort",
            "always",
        ] {
            assert_eq!(RestartPolicy::parse(r).unwrap().as_str(), r);
        }
        for k in ["control-group", "mixed", "process", "none"] {
            assert_eq!(KillMode::parse(k).unwrap().as_str(), k);
        }
        assert_eq!(
            EmergencyAction::parse("exit-force").unwrap().as_str(),
            "exit-force"
        );
        assert_eq!(ServiceType::parse("Simple"), None);
        assert_eq!(NotifyAccess::parse("exec"), Some(NotifyAccess::Exec));
    }
}
