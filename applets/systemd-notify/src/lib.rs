//! The `systemd-notify` applet: sends one `sd_notify()` datagram (`READY=1`, `STATUS=…`,
//! `MAINPID=…`, `VAR=VALUE` …) to `$NOTIFY_SOCKET` on behalf of a shell script, as
//! systemd-notify(1) does, and answers `--booted`.
//!
//! `cli` parses the options, `send` talks the notify protocol, `booted` decides whether
//! unitbox runs as PID 1.

mod booted;
mod cli;
mod send;

use cli::{Action, Options};
use std::ffi::OsString;

/// Runs `systemd-notify` with full argv (argv[0] included) and returns the exit code.
pub fn main(args: Vec<OsString>) -> i32 {
    let opts = match cli::parse(args) {
        Ok(Action::Run(opts)) => opts,
        Ok(Action::Exit(code)) => return code,
        Err(message) => {
            eprintln!("{message}");
            return 1;
        }
    };
    match run(&opts) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("{message}");
            1
        }
    }
}

/// The exit code, or the one-line error for stderr (exit 1).
fn run(opts: &Options) -> Result<i32, String> {
    if opts.booted {
        // "Not booted" is an answer, not an error: exit 1 without a message.
        return Ok(if booted::booted_by_unitbox() { 0 } else { 1 });
    }
    let message = opts.message(unitbox_core::time::now_monotonic_us());
    if message.is_empty() {
        return Ok(0);
    }
    let Some(socket) = std::env::var_os("NOTIFY_SOCKET").filter(|s| !s.is_empty()) else {
        return Err(NOT_SET.to_string());
    };
    let address = send::parse_address(&socket)
        .map_err(|e| format!("Failed to notify init system: {}", send::describe(e)))?;
    send::switch_user(opts.uid.as_ref())?;
    send::notify(&address, message.as_bytes(), opts.source_pid())
        .map_err(|e| format!("Failed to notify init system: {}", send::describe(e)))?;
    if !opts.no_block {
        send::barrier(&address, send::BARRIER_TIMEOUT)
            .map_err(|e| format!("Failed to invoke barrier: {}", send::describe(e)))?;
    }
    Ok(0)
}

const NOT_SET: &str = "No status data could be sent: $NOTIFY_SOCKET was not set";
