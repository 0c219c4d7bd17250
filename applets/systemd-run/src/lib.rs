//! The `systemd-run` applet: runs a command as a transient service. The unit file goes into
//! the scope's transient directory (`unitbox_core::manager::transient`) and is started by
//! the same executor as `systemctl start`; supervision, logging and collection are the
//! supervisor's.
//!
//! `cli` parses the options, `unit_text` writes the unit file, `wait` holds `--wait`'s
//! summary and exit status, `pty` forwards a terminal for `--pty`.

mod cli;
mod pty;
mod timer;
mod unit_text;
mod wait;

use cli::{Options, Parsed, Stdio};
use std::ffi::OsString;
use std::io::IsTerminal;
use std::os::fd::{AsFd, OwnedFd};
use unit_text::{absolute, resolve_executable, TransientService};
use unitbox_core::error::os_error_text;
use unitbox_core::manager::executor::{Executor, JobResult};
use unitbox_core::manager::runtime::{runtime_state, wait_for_supervisor_exit};
use unitbox_core::manager::transaction::plan_start;
use unitbox_core::manager::transient::{self, TransientError};
use unitbox_core::scope::Scope;
use unitbox_core::select::{select, ScopeRequest};
use unitbox_core::state::StateDir;
use unitbox_core::unit::{UnitName, UnitStore};

/// Runs `systemd-run` with full argv (argv[0] included) and returns the exit code.
pub fn main(args: Vec<OsString>) -> i32 {
    let opts = match cli::parse(args) {
        Ok(Parsed::Run(opts)) => opts,
        Ok(Parsed::Exit(code)) => return code,
        Err(message) => {
            eprintln!("{message}");
            return 1;
        }
    };
    match run(*opts) {
        Ok(code) => code,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("{message}");
            }
            1
        }
    }
}

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

/// The option combinations systemd-run refuses, and the ones unitbox cannot do.
fn check(o: &mut Options) -> Result<(), String> {
    if let Some(option) = &o.unsupported {
        return Err(format!("{option} is not supported by unitbox."));
    }
    let timer = !o.timer_settings.is_empty();
    if o.shell {
        if !o.command.is_empty() {
            return Err("If --shell is used, no command line is expected.".into());
        }
        let shell = env("SHELL")
            .filter(|s| s.starts_with('/'))
            .unwrap_or_else(|| "/bin/sh".into());
        o.command = vec![shell.into()];
        o.stdio = Stdio::Pty;
        o.same_dir = true;
        o.wait = true;
        o.collect = true;
        o.service_type = Some("exec".into());
    }
    if o.command.is_empty() && (o.unit.is_none() || !timer) {
        return Err("Command line to execute required.".into());
    }
    if o.stdio != Stdio::None && timer {
        return Err("--pty/--pipe is not compatible in timer or --scope mode.".into());
    }
    if !o.timer_properties.is_empty() && !timer {
        return Err("--timer-property= has no effect without any other timer options.".into());
    }
    if o.wait && timer {
        return Err("--wait may not be combined with path, socket or timer operations.".into());
    }
    if o.wait && o.no_block {
        return Err("--wait may not be combined with --no-block.".into());
    }
    if o.stdio != Stdio::None && o.no_block {
        return Err("--pty/--pipe is not compatible with --no-block.".into());
    }
    Ok(())
}

pub(crate) fn scope_of(o: &Options) -> Result<Scope, String> {
    let request = ScopeRequest {
        system: o.system,
        user: o.user,
        global: false,
        capsule: o.capsule.as_deref(),
        root: o.root.as_deref(),
    };
    select(&request, &env).map_err(|e| e.to_string())
}

/// `--unit=NAME`: a name without a unit type becomes a service.
fn unit_name(requested: &str) -> Result<UnitName, String> {
    let invalid = || format!("Failed to mangle unit name: {requested}: Invalid argument");
    let full = match UnitName::parse(requested) {
        Ok(n) => n,
        Err(_) => UnitName::parse(&format!("{requested}.service")).map_err(|_| invalid())?,
    };
    if full.unit_type() != "service" || full.is_template() {
        return Err(invalid());
    }
    Ok(full)
}

/// The unit file the options describe.
pub(crate) fn describe(
    o: &Options,
    stdio: Stdio,
    pty: Option<&pty::Pty>,
) -> Result<TransientService, String> {
    let mut command = o.command.clone();
    command[0] = resolve_executable(&command[0])?.into_os_string();
    let mut service = TransientService {
        description: o.description.clone().unwrap_or_else(|| {
            let words: Vec<String> = command
                .iter()
                .map(|w| w.to_string_lossy().into_owned())
                .collect();
            words.join(" ")
        }),
        command,
        no_env_expand: o.expand_environment == Some(false),
        ..Default::default()
    };
    let mut set = |key: &str, value: &str| service.service_settings.push(format!("{key}={value}"));
    if let Some(t) = &o.service_type {
        set("Type", t);
    }
    if o.remain_after_exit {
        set("RemainAfterExit", "yes");
    }
    if o.send_sighup {
        set("SendSIGHUP", "yes");
    }
    if let Some(uid) = &o.uid {
        set("User", uid);
    }
    if let Some(gid) = &o.gid {
        set("Group", gid);
    }
    if let Some(nice) = &o.nice {
        set("Nice", nice);
    }
    let working_directory = if o.same_dir {
        Some(std::env::current_dir().map_err(|e| {
            format!(
                "Failed to get current working directory: {}",
                os_error_text(&e)
            )
        })?)
    } else {
        o.working_directory
            .as_deref()
            .map(|d| absolute(std::path::Path::new(d)))
            .transpose()
            .map_err(|e| format!("Failed to make path absolute: {}", os_error_text(&e)))?
    };
    if let Some(dir) = working_directory {
        set("WorkingDirectory", &dir.to_string_lossy());
    }
    if let Some(pty) = pty.filter(|_| stdio == Stdio::Pty) {
        set("TTYPath", &pty.slave_path.to_string_lossy());
        for key in ["StandardInput", "StandardOutput", "StandardError"] {
            set(key, "tty");
        }
    }
    if o.collect {
        service
            .unit_settings
            .push("CollectMode=inactive-or-failed".into());
    }
    for e in &o.environment {
        service.add_environment(e)?;
    }
    for p in &o.properties {
        service.add_property(p)?;
    }
    Ok(service)
}

/// `--pty` needs a terminal to forward; without one it acts as `--pipe`.
fn effective_stdio(o: &Options) -> Stdio {
    match o.stdio {
        Stdio::Auto => {
            let all = std::io::stdin().is_terminal()
                && std::io::stdout().is_terminal()
                && std::io::stderr().is_terminal();
            if all {
                Stdio::Pty
            } else {
                Stdio::Pipe
            }
        }
        Stdio::Pty if !std::io::stdin().is_terminal() => {
            if !o.quiet {
                eprintln!("Standard input is not a terminal, connecting the service's standard streams directly (as --pipe).");
            }
            Stdio::Pipe
        }
        other => other,
    }
}

fn run(mut o: Options) -> Result<i32, String> {
    check(&mut o)?;
    let scope = scope_of(&o)?;
    if !o.timer_settings.is_empty() {
        return timer::run_timer(&o, &scope);
    }
    let requested = o.unit.as_deref().map(unit_name).transpose()?;
    let stdio = effective_stdio(&o);
    let terminal = match stdio {
        Stdio::Pty => Some(
            pty::open()
                .map_err(|e| format!("Failed to open pseudo-terminal: {}", os_error_text(&e)))?,
        ),
        _ => None,
    };
    let text = describe(&o, stdio, terminal.as_ref())?.to_text();
    let dir = StateDir::for_scope(&scope).map_err(|e| e.to_string())?;
    let name = transient::create(&scope, &dir, requested.as_ref(), &text).map_err(|e| match e {
        TransientError::Exists(_) => format!("Failed to start transient service unit: {e}"),
        other => format!("Failed to start transient service unit: {other}"),
    })?;
    let waiting = o.wait || stdio != Stdio::None;
    // Keeps the supervisor from collecting the unit before we have read how it ended.
    let reference = if waiting {
        Some(transient::reference(&scope, &name).map_err(|e| e.to_string())?)
    } else {
        None
    };
    let outcome = start_and_wait(&o, &scope, &dir, &name, stdio, terminal.as_ref());
    drop(reference);
    transient::collect(&scope, &dir, &name);
    outcome
}

fn start_and_wait(
    o: &Options,
    scope: &Scope,
    dir: &StateDir,
    name: &str,
    stdio: Stdio,
    terminal: Option<&pty::Pty>,
) -> Result<i32, String> {
    let store = UnitStore::new(scope.clone());
    let parsed = UnitName::parse(name).map_err(|e| e.to_string())?;
    let tx = plan_start(&store, std::slice::from_ref(&parsed))
        .map_err(|e| format!("Failed to start transient service unit: {e}"))?;
    let mut exec = Executor::new(&store, dir.clone(), o.no_block);
    if stdio == Stdio::Pipe {
        exec.worker.caller_stdio_unit = Some(name.to_string());
    }
    let results = exec.start(&tx);
    let result = results.get(name).cloned().unwrap_or(JobResult::Done);
    if !result.is_success() {
        let user = !scope.is_system();
        let text = unitbox_core::manager::job_text::job_failure("start", name, &result, user);
        return Err(text);
    }
    if !o.quiet {
        let invocation = runtime_state(dir, name).invocation_id;
        if invocation.is_empty() {
            eprintln!("Running as unit: {name}");
        } else {
            eprintln!("Running as unit: {name}; invocation ID: {invocation}");
        }
        if stdio == Stdio::Pty {
            eprintln!("Press ^] three times within 1s to disconnect TTY.");
        }
    }
    if !o.wait && stdio == Stdio::None {
        return Ok(0);
    }
    let alive = dir.unit_paths(name).alive;
    match terminal {
        Some(pty) => forward_until_done(pty, alive)?,
        None => wait_for_supervisor_exit(&alive)
            .map_err(|e| format!("Failed to wait for {name}: {}", os_error_text(&e)))?,
    }
    let state = runtime_state(dir, name);
    if o.wait && !o.quiet {
        for line in wait::summary(&state) {
            eprintln!("{line}");
        }
    }
    Ok(wait::exit_status(&state))
}

/// Forwards the terminal while a thread waits for the supervisor to exit.
fn forward_until_done(pty: &pty::Pty, alive: std::path::PathBuf) -> Result<(), String> {
    let (done_read, done_write) =
        nix::unistd::pipe().map_err(|e| format!("Failed to create pipe: {e}"))?;
    let waiter = std::thread::spawn(move || {
        let result = wait_for_supervisor_exit(&alive);
        drop::<OwnedFd>(done_write);
        result
    });
    let forwarded = pty.forward(done_read.as_fd());
    let waited = waiter
        .join()
        .unwrap_or_else(|_| Err(std::io::Error::other("waiting thread failed")));
    forwarded
        .and(waited)
        .map_err(|e| format!("Failed to forward the terminal: {}", os_error_text(&e)))
}
