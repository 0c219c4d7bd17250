//! Exit statuses and signals by name, as systemd prints and parses them: `status=203/EXEC`,
//! `signal=TERM`, `SuccessExitStatus=TEMPFAIL 250 SIGKILL`.

use std::collections::BTreeSet;

/// The exit codes a spawned child uses when setting up the process fails before `execve()`
/// (systemd.exec(5) "Process Exit Codes").
pub mod code {
    pub const SUCCESS: i32 = 0;
    pub const FAILURE: i32 = 1;
    pub const CHDIR: i32 = 200;
    pub const NICE: i32 = 201;
    pub const FDS: i32 = 202;
    pub const EXEC: i32 = 203;
    pub const MEMORY: i32 = 204;
    pub const LIMITS: i32 = 205;
    pub const OOM_ADJUST: i32 = 206;
    pub const SIGNAL_MASK: i32 = 207;
    pub const STDIN: i32 = 208;
    pub const STDOUT: i32 = 209;
    pub const CHROOT: i32 = 210;
    pub const IOPRIO: i32 = 211;
    pub const SECUREBITS: i32 = 213;
    pub const SETSCHEDULER: i32 = 214;
    pub const CPUAFFINITY: i32 = 215;
    pub const GROUP: i32 = 216;
    pub const USER: i32 = 217;
    pub const CAPABILITIES: i32 = 218;
    pub const SETSID: i32 = 220;
    pub const STDERR: i32 = 222;
    pub const RUNTIME_DIRECTORY: i32 = 233;
    pub const STATE_DIRECTORY: i32 = 238;
    pub const CACHE_DIRECTORY: i32 = 239;
    pub const LOGS_DIRECTORY: i32 = 240;
    pub const CONFIGURATION_DIRECTORY: i32 = 241;
    pub const EXCEPTION: i32 = 255;
}

/// Which table a name comes from; `systemctl status` only names libc and systemd codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Libc,
    Lsb,
    Bsd,
    Systemd,
}

/// `systemd-analyze exit-status` of systemd 252.
const NAMES: &[(i32, &str, Class)] = &[
    (0, "SUCCESS", Class::Libc),
    (1, "FAILURE", Class::Libc),
    (2, "INVALIDARGUMENT", Class::Lsb),
    (3, "NOTIMPLEMENTED", Class::Lsb),
    (4, "NOPERMISSION", Class::Lsb),
    (5, "NOTINSTALLED", Class::Lsb),
    (6, "NOTCONFIGURED", Class::Lsb),
    (7, "NOTRUNNING", Class::Lsb),
    (64, "USAGE", Class::Bsd),
    (65, "DATAERR", Class::Bsd),
    (66, "NOINPUT", Class::Bsd),
    (67, "NOUSER", Class::Bsd),
    (68, "NOHOST", Class::Bsd),
    (69, "UNAVAILABLE", Class::Bsd),
    (70, "SOFTWARE", Class::Bsd),
    (71, "OSERR", Class::Bsd),
    (72, "OSFILE", Class::Bsd),
    (73, "CANTCREAT", Class::Bsd),
    (74, "IOERR", Class::Bsd),
    (75, "TEMPFAIL", Class::Bsd),
    (76, "PROTOCOL", Class::Bsd),
    (77, "NOPERM", Class::Bsd),
    (78, "CONFIG", Class::Bsd),
    (200, "CHDIR", Class::Systemd),
    (201, "NICE", Class::Systemd),
    (202, "FDS", Class::Systemd),
    (203, "EXEC", Class::Systemd),
    (204, "MEMORY", Class::Systemd),
    (205, "LIMITS", Class::Systemd),
    (206, "OOM_ADJUST", Class::Systemd),
    (207, "SIGNAL_MASK", Class::Systemd),
    (208, "STDIN", Class::Systemd),
    (209, "STDOUT", Class::Systemd),
    (210, "CHROOT", Class::Systemd),
    (211, "IOPRIO", Class::Systemd),
    (212, "TIMERSLACK", Class::Systemd),
    (213, "SECUREBITS", Class::Systemd),
    (214, "SETSCHEDULER", Class::Systemd),
    (215, "CPUAFFINITY", Class::Systemd),
    (216, "GROUP", Class::Systemd),
    (217, "USER", Class::Systemd),
    (218, "CAPABILITIES", Class::Systemd),
    (219, "CGROUP", Class::Systemd),
    (220, "SETSID", Class::Systemd),
    (221, "CONFIRM", Class::Systemd),
    (222, "STDERR", Class::Systemd),
    (224, "PAM", Class::Systemd),
    (225, "NETWORK", Class::Systemd),
    (226, "NAMESPACE", Class::Systemd),
    (227, "NO_NEW_PRIVILEGES", Class::Systemd),
    (228, "SECCOMP", Class::Systemd),
    (229, "SELINUX_CONTEXT", Class::Systemd),
    (230, "PERSONALITY", Class::Systemd),
    (231, "APPARMOR", Class::Systemd),
    (232, "ADDRESS_FAMILIES", Class::Systemd),
    (233, "RUNTIME_DIRECTORY", Class::Systemd),
    (235, "CHOWN", Class::Systemd),
    (236, "SMACK_PROCESS_LABEL", Class::Systemd),
    (237, "KEYRING", Class::Systemd),
    (238, "STATE_DIRECTORY", Class::Systemd),
    (239, "CACHE_DIRECTORY", Class::Systemd),
    (240, "LOGS_DIRECTORY", Class::Systemd),
    (241, "CONFIGURATION_DIRECTORY", Class::Systemd),
    (242, "NUMA_POLICY", Class::Systemd),
    (243, "CREDENTIALS", Class::Systemd),
    (244, "BPF", Class::Systemd),
    (255, "EXCEPTION", Class::Systemd),
];

/// The name `systemctl status` appends to an exit code (`203` → `EXEC`): only the libc and
/// systemd codes have one there, so `2` stays `status=2`.
pub fn exit_status_name(code: i32) -> Option<&'static str> {
    NAMES
        .iter()
        .find(|(c, _, class)| *c == code && matches!(class, Class::Libc | Class::Systemd))
        .map(|(_, name, _)| *name)
}

/// `203/EXEC`, `0/SUCCESS`, `2`: the `status=` text of an exited process.
pub fn format_exit_status(code: i32) -> String {
    match exit_status_name(code) {
        Some(name) => format!("{code}/{name}"),
        None => code.to_string(),
    }
}

/// Any exit status name of any table (`TEMPFAIL`, `EXEC`, `INVALIDARGUMENT`), or a number
/// 0–255, as `SuccessExitStatus=` accepts it.
pub fn exit_status_from_str(s: &str) -> Option<u8> {
    if let Ok(n) = s.parse::<u8>() {
        return Some(n);
    }
    NAMES
        .iter()
        .find(|(_, name, _)| *name == s)
        .and_then(|(c, _, _)| u8::try_from(*c).ok())
}

const SIGNALS: &[(i32, &str)] = &[
    (libc::SIGHUP, "HUP"),
    (libc::SIGINT, "INT"),
    (libc::SIGQUIT, "QUIT"),
    (libc::SIGILL, "ILL"),
    (libc::SIGTRAP, "TRAP"),
    (libc::SIGABRT, "ABRT"),
    (libc::SIGBUS, "BUS"),
    (libc::SIGFPE, "FPE"),
    (libc::SIGKILL, "KILL"),
    (libc::SIGUSR1, "USR1"),
    (libc::SIGSEGV, "SEGV"),
    (libc::SIGUSR2, "USR2"),
    (libc::SIGPIPE, "PIPE"),
    (libc::SIGALRM, "ALRM"),
    (libc::SIGTERM, "TERM"),
    (libc::SIGSTKFLT, "STKFLT"),
    (libc::SIGCHLD, "CHLD"),
    (libc::SIGCONT, "CONT"),
    (libc::SIGSTOP, "STOP"),
    (libc::SIGTSTP, "TSTP"),
    (libc::SIGTTIN, "TTIN"),
    (libc::SIGTTOU, "TTOU"),
    (libc::SIGURG, "URG"),
    (libc::SIGXCPU, "XCPU"),
    (libc::SIGXFSZ, "XFSZ"),
    (libc::SIGVTALRM, "VTALRM"),
    (libc::SIGPROF, "PROF"),
    (libc::SIGWINCH, "WINCH"),
    (libc::SIGIO, "IO"),
    (libc::SIGPWR, "PWR"),
    (libc::SIGSYS, "SYS"),
];

/// The first real-time signal as systemd numbers it everywhere (unit files, `kill -s`,
/// PID 1's requests): glibc's 34. Container engines send these numbers (podman's and
/// Docker's `SIGRTMIN+3` is 37), whatever libc the receiver was built with — musl's own
/// `SIGRTMIN()` is 35, so the libc's value must not be used.
pub const SIGRTMIN: i32 = 34;
/// The last real-time signal (the kernel's `_NSIG - 1`).
pub const SIGRTMAX: i32 = 64;

/// `TERM`, `KILL`, `RTMIN+3`: a signal as systemd prints it (`signal=TERM`,
/// `EXIT_STATUS=TERM`). Unknown numbers print as the number.
pub fn signal_name(signal: i32) -> String {
    if let Some((_, name)) = SIGNALS.iter().find(|(n, _)| *n == signal) {
        return (*name).to_string();
    }
    let (min, max) = (SIGRTMIN, SIGRTMAX);
    if signal == min {
        "RTMIN".into()
    } else if signal > min && signal <= max {
        format!("RTMIN+{}", signal - min)
    } else {
        signal.to_string()
    }
}

/// Parses a signal as systemd's `signal_from_string()`: a number, or a name with or without
/// `SIG` (`TERM`, `SIGTERM`, `RTMIN+2`).
pub fn signal_from_str(s: &str) -> Option<i32> {
    let valid = |n: i32| (1..=SIGRTMAX).contains(&n);
    if let Ok(n) = s.parse::<i32>() {
        return valid(n).then_some(n);
    }
    let name = s.strip_prefix("SIG").unwrap_or(s);
    if let Some((n, _)) = SIGNALS.iter().find(|(_, known)| *known == name) {
        return Some(*n);
    }
    let min = SIGRTMIN;
    let rt = if name == "RTMIN" {
        Some(min)
    } else if let Some(off) = name.strip_prefix("RTMIN+") {
        off.parse::<i32>().ok().map(|o| min + o)
    } else if name == "RTMAX" {
        Some(SIGRTMAX)
    } else if let Some(off) = name.strip_prefix("RTMAX-") {
        off.parse::<i32>().ok().map(|o| SIGRTMAX - o)
    } else {
        None
    };
    rt.filter(|n| *n >= min && valid(*n))
}

/// A `SuccessExitStatus=`-style list: exit codes and termination signals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExitStatusSet {
    pub codes: BTreeSet<u8>,
    pub signals: BTreeSet<i32>,
}

impl ExitStatusSet {
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty() && self.signals.is_empty()
    }

    /// Adds the words of one assignment; returns the words that are neither an exit status
    /// nor a signal (systemd warns about each and ignores it).
    pub fn extend_from(&mut self, value: &str) -> Vec<String> {
        let mut bad = Vec::new();
        for word in value.split_whitespace() {
            if let Some(code) = exit_status_from_str(word) {
                self.codes.insert(code);
            } else if let Some(sig) = signal_from_str(word) {
                self.signals.insert(sig);
            } else {
                bad.push(word.to_string());
            }
        }
        bad
    }

    pub fn contains_code(&self, code: i32) -> bool {
        u8::try_from(code).is_ok_and(|c| self.codes.contains(&c))
    }

    pub fn contains_signal(&self, signal: i32) -> bool {
        self.signals.contains(&signal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_systemctl_status_prints_them() {
        assert_eq!(format_exit_status(0), "0/SUCCESS");
        assert_eq!(format_exit_status(1), "1/FAILURE");
        assert_eq!(format_exit_status(203), "203/EXEC");
        assert_eq!(format_exit_status(217), "217/USER");
        assert_eq!(format_exit_status(2), "2");
        assert_eq!(format_exit_status(75), "75");
        assert_eq!(format_exit_status(234), "234");
        assert_eq!(exit_status_name(231), Some("APPARMOR"));
    }

    #[test]
    fn parses_any_table_by_name() {
        assert_eq!(exit_status_from_str("TEMPFAIL"), Some(75));
        assert_eq!(exit_status_from_str("INVALIDARGUMENT"), Some(2));
        assert_eq!(exit_status_from_str("250"), Some(250));
        assert_eq!(exit_status_from_str("256"), None);
        assert_eq!(exit_status_from_str("EX_TEMPFAIL"), None);
    }

    #[test]
    fn signals_by_name_and_number() {
        assert_eq!(signal_name(libc::SIGTERM), "TERM");
        assert_eq!(signal_name(SIGRTMIN + 2), "RTMIN+2");
        assert_eq!(signal_from_str("SIGKILL"), Some(libc::SIGKILL));
        assert_eq!(signal_from_str("HUP"), Some(libc::SIGHUP));
        assert_eq!(signal_from_str("15"), Some(15));
        assert_eq!(signal_from_str("RTMIN+1"), Some(SIGRTMIN + 1));
        assert_eq!(signal_from_str("SIGRTMIN+4"), Some(38), "glibc's numbering");
        assert_eq!(signal_name(37), "RTMIN+3");
        assert_eq!(signal_from_str("0"), None);
        assert_eq!(signal_from_str("SIGFOO"), None);
        assert_eq!(signal_from_str("sigterm"), None);
    }

    #[test]
    fn success_exit_status_example_from_the_man_page() {
        let mut set = ExitStatusSet::default();
        assert!(set.extend_from("TEMPFAIL 250 SIGKILL").is_empty());
        assert!(set.contains_code(75) && set.contains_code(250));
        assert!(set.contains_signal(libc::SIGKILL));
        assert!(!set.contains_code(0));
        assert_eq!(set.extend_from("1 bogus"), ["bogus"]);
        assert!(set.contains_code(1));
    }
}
