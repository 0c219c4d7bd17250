//! systemd-notify's options, parsed the way glibc's `getopt_long()` does for systemd:
//! options and `VAR=VALUE` arguments may be mixed, long options may be abbreviated while
//! unambiguous, `--` ends the options. Messages are glibc's and systemd's.

use std::ffi::OsString;
use unitbox_core::getopt::{opt, HasArg, Parser, Spec};
use unitbox_core::root::Root;
use unitbox_core::users::{parse_id, UserDb};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    pub ready: bool,
    pub reloading: bool,
    pub stopping: bool,
    pub status: Option<String>,
    /// `MAINPID=`; `--pid` without a value means our parent.
    pub main_pid: Option<u32>,
    /// `--uid=`: the real uid (and gid, if known) to send as.
    pub uid: Option<(u32, Option<u32>)>,
    pub booted: bool,
    pub no_block: bool,
    /// The `VAR=VALUE` arguments, sent after ours (overriding ours with the same name).
    pub assignments: Vec<String>,
}

pub enum Action {
    Run(Options),
    /// `--help`/`--version` or no arguments at all: exit with this code.
    Exit(i32),
}

const PROGRAM: &str = "systemd-notify";

const SPECS: &[Spec] = &[
    opt("help", Some('h'), HasArg::No),
    opt("version", None, HasArg::No),
    opt("ready", None, HasArg::No),
    opt("reloading", None, HasArg::No),
    opt("stopping", None, HasArg::No),
    opt("pid", None, HasArg::Optional),
    opt("uid", None, HasArg::Required),
    opt("status", None, HasArg::Required),
    opt("booted", None, HasArg::No),
    opt("no-block", None, HasArg::No),
];

pub fn parse(args: Vec<OsString>) -> Result<Action, String> {
    let mut opts = Options::default();
    let mut p = Parser::new(PROGRAM, SPECS, args.into_iter().skip(1).collect());
    while let Some(found) = p.next_option().map_err(|e| e.0)? {
        if let Some(code) = apply(&mut opts, found.name, found.value)? {
            return Ok(Action::Exit(code));
        }
    }
    opts.assignments = p.operand_strings();
    let wants_something = opts.ready
        || opts.reloading
        || opts.stopping
        || opts.status.is_some()
        || opts.main_pid.is_some()
        || opts.booted
        || !opts.assignments.is_empty();
    if !wants_something {
        // systemd prints the help and fails when there is nothing to do (`--no-block`
        // alone included).
        print_help();
        return Ok(Action::Exit(1));
    }
    Ok(Action::Run(opts))
}

/// Applies one long option; `Some(code)` when it ends the program (`--help`, `--version`).
fn apply(opts: &mut Options, name: &str, value: Option<String>) -> Result<Option<i32>, String> {
    match name {
        "help" => {
            print_help();
            return Ok(Some(0));
        }
        "version" => {
            unitbox_core::version::print();
            return Ok(Some(0));
        }
        "ready" => opts.ready = true,
        "reloading" => opts.reloading = true,
        "stopping" => opts.stopping = true,
        "booted" => opts.booted = true,
        "no-block" => opts.no_block = true,
        "status" => opts.status = value,
        "pid" => {
            opts.main_pid = Some(match value {
                Some(text) => match text.parse::<u32>() {
                    Ok(pid) if pid > 0 && pid <= i32::MAX as u32 => pid,
                    _ => return Err(format!("Failed to parse PID {text}.")),
                },
                None => nix::unistd::getppid().as_raw().max(0) as u32,
            })
        }
        "uid" => {
            let user = value.unwrap_or_default();
            opts.uid = Some(
                resolve_user(&user)
                    .ok_or_else(|| format!("Can't resolve user {user}: Invalid argument"))?,
            );
        }
        _ => {}
    }
    Ok(None)
}

/// A user name or number → (uid, its primary gid if the user database knows it).
fn resolve_user(user: &str) -> Option<(u32, Option<u32>)> {
    let db = UserDb::load(&Root::host());
    if let Some(uid) = parse_id(user) {
        return Some((uid, db.user_by_uid(uid).map(|p| p.gid)));
    }
    db.user_by_name(user).map(|p| (p.uid, Some(p.gid)))
}

impl Options {
    /// The datagram: our assignments, then the arguments; a later `VAR=` replaces an
    /// earlier one in place (systemd's `strv_env_merge()`).
    pub fn message(&self, monotonic_now_us: u64) -> String {
        let mut lines: Vec<String> = Vec::new();
        if self.ready {
            lines.push("READY=1".into());
        }
        if self.reloading {
            lines.push("RELOADING=1".into());
            lines.push(format!("MONOTONIC_USEC={monotonic_now_us}"));
        }
        if self.stopping {
            lines.push("STOPPING=1".into());
        }
        if let Some(status) = &self.status {
            lines.push(format!("STATUS={status}"));
        }
        if let Some(pid) = self.main_pid {
            lines.push(format!("MAINPID={pid}"));
        }
        for assignment in &self.assignments {
            let key = assignment.split('=').next().unwrap_or_default();
            let same_key = |l: &String| l.split('=').next() == Some(key);
            match lines.iter_mut().find(|l| same_key(l)) {
                Some(existing) => *existing = assignment.clone(),
                None => lines.push(assignment.clone()),
            }
        }
        lines.join("\n")
    }

    /// Whose message this claims to be: `--pid`'s process, else our parent (we are usually
    /// run by the service's shell script, not as its main process) unless that is PID 1.
    pub fn source_pid(&self) -> Option<u32> {
        if let Some(pid) = self.main_pid {
            return Some(pid);
        }
        let parent = nix::unistd::getppid().as_raw();
        (parent > 1).then_some(parent as u32)
    }
}

fn print_help() {
    print!(
        "{PROGRAM} [OPTIONS...] [VARIABLE=VALUE...]\n\n\
         Notify the init system about service status updates.\n\n\
         \x20 -h --help            Show this help\n\
         \x20    --version         Show package version\n\
         \x20    --ready           Inform the init system about service start-up completion\n\
         \x20    --reloading       Inform the init system about service reloading\n\
         \x20    --stopping        Inform the init system about service shutdown\n\
         \x20    --pid[=PID]       Set main PID of daemon\n\
         \x20    --uid=USER        Set user to send from\n\
         \x20    --status=TEXT     Set status text\n\
         \x20    --booted          Check if the system was booted up with unitbox as PID 1\n\
         \x20    --no-block        Do not wait until operation finished\n\n\
         See the systemd-notify(1) man page for details.\n"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(args: &[&str]) -> Options {
        let mut argv = vec![OsString::from("systemd-notify")];
        argv.extend(args.iter().map(OsString::from));
        match parse(argv) {
            Ok(Action::Run(o)) => o,
            Ok(Action::Exit(c)) => panic!("exit {c}"),
            Err(e) => panic!("{e}"),
        }
    }

    fn parse_err(args: &[&str]) -> String {
        let mut argv = vec![OsString::from("systemd-notify")];
        argv.extend(args.iter().map(OsString::from));
        match parse(argv) {
            Err(e) => e,
            _ => panic!("expected an error for {args:?}"),
        }
    }

    #[test]
    fn builds_the_message_in_systemd_order() {
        let o = parse_ok(&["--status=hi there", "--ready", "X=1", "--pid=42"]);
        assert_eq!(o.message(0), "READY=1\nSTATUS=hi there\nMAINPID=42\nX=1");
        let o = parse_ok(&["--reloading", "--stopping"]);
        assert_eq!(o.message(77), "RELOADING=1\nMONOTONIC_USEC=77\nSTOPPING=1");
        let o = parse_ok(&["--status", "a", "STATUS=b", "READY=0", "--ready"]);
        assert_eq!(o.message(0), "READY=0\nSTATUS=b");
        let o = parse_ok(&["--rea", "--", "--not-an-option"]);
        assert_eq!(o.message(0), "READY=1\n--not-an-option");
    }

    #[test]
    fn errors_like_getopt_and_systemd() {
        assert_eq!(
            parse_err(&["--bogus"]),
            "systemd-notify: unrecognized option '--bogus'"
        );
        assert_eq!(
            parse_err(&["--status"]),
            "systemd-notify: option '--status' requires an argument"
        );
        assert_eq!(
            parse_err(&["--ready=1"]),
            "systemd-notify: option '--ready' doesn't allow an argument"
        );
        assert_eq!(parse_err(&["-x"]), "systemd-notify: invalid option -- 'x'");
        assert_eq!(parse_err(&["--pid=0"]), "Failed to parse PID 0.");
        assert_eq!(parse_err(&["--pid=abc"]), "Failed to parse PID abc.");
        assert!(parse_err(&["--re"]).contains("ambiguous"));
        assert_eq!(
            parse_err(&["--uid=no-such-user-here"]),
            "Can't resolve user no-such-user-here: Invalid argument"
        );
    }

    #[test]
    fn pid_defaults_to_the_parent() {
        let o = parse_ok(&["--pid"]);
        assert_eq!(o.main_pid, Some(nix::unistd::getppid().as_raw() as u32));
        assert_eq!(o.source_pid(), o.main_pid);
    }
}
