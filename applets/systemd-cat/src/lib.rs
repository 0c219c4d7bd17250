//! The `systemd-cat` applet: runs a command with its stdout and stderr connected to the
//! journal's stream socket, as systemd 252's `systemd-cat` does — one stream from
//! `sd_journal_stream_fd()` (core's [`stream_client`]) for both, or a second one for stderr
//! with `--stderr-priority=`, then `execvp()`. Without a command 252 execs `/bin/cat`; a
//! scratch image has none, so we copy stdin to the stream ourselves (the same bytes).
//!
//! [`stream_client`]: unitbox_core::journal::stream_client

mod cli;

use cli::{Action, Options};
use nix::sys::signal::Signal;
use std::ffi::{CString, OsString};
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use unitbox_core::error::os_error_text;
use unitbox_core::journal::stream_client::stream_fd;

/// Runs `systemd-cat` with full argv (argv[0] included) and returns the exit code (when it
/// does not become the command).
pub fn main(args: Vec<OsString>) -> i32 {
    match cli::parse(args) {
        Ok(Action::Run(opts)) => match run(&opts) {
            Ok(()) => 0,
            Err(message) => {
                eprintln!("{message}");
                1
            }
        },
        Ok(Action::Exit) => 0,
        Err(message) => {
            eprintln!("{message}");
            1
        }
    }
}

/// A stream numbered 3 or above, so that moving it onto 1 and 2 never closes it (when we
/// were started with stdout or stderr closed, the socket may have got their number).
fn stream(opts: &Options, priority: u8) -> Result<OwnedFd, String> {
    let failed = |e: io::Error| format!("Failed to create stream fd: {}", os_error_text(&e));
    let stream = stream_fd(&opts.identifier, priority, opts.level_prefix).map_err(failed)?;
    if stream.as_raw_fd() > 2 {
        return Ok(stream.into());
    }
    unitbox_core::sys::dup_above(stream.as_raw_fd(), 3).map_err(failed)
}

fn run(opts: &Options) -> Result<(), String> {
    let out = stream(opts, opts.priority)?;
    let err = match opts.stderr_priority {
        Some(p) if p != opts.priority => Some(stream(opts, p)?),
        _ => None,
    };
    // To say why the exec failed, where the caller sees it.
    let saved_stderr = unitbox_core::sys::dup_above(2, 3).ok();
    let rearranged = nix::unistd::dup2(out.as_raw_fd(), 1)
        .and_then(|_| nix::unistd::dup2(err.as_ref().unwrap_or(&out).as_raw_fd(), 2));
    if let Err(e) = rearranged {
        restore(saved_stderr.as_ref());
        return Err(format!(
            "Failed to rearrange stdout/stderr: {}",
            os_error_text(&e.into())
        ));
    }
    drop(err);
    let Some((program, _)) = opts.command.split_first() else {
        return copy_stdin(out).map_err(|e| {
            restore(saved_stderr.as_ref());
            format!("Failed to copy standard input: {}", os_error_text(&e))
        });
    };
    drop(out);
    let argv: Vec<CString> = opts
        .command
        .iter()
        .map(|a| CString::new(a.as_bytes()).map_err(|_| nix::errno::Errno::EINVAL))
        .collect::<Result<_, _>>()
        .map_err(|e| exec_failed(saved_stderr.as_ref(), e))?;
    let program = CString::new(program.as_bytes())
        .map_err(|_| exec_failed(saved_stderr.as_ref(), nix::errno::Errno::EINVAL))?;
    unitbox_core::sys::default_signal(Signal::SIGPIPE);
    let e = match nix::unistd::execvp(&program, &argv) {
        Err(e) => e,
        Ok(never) => match never {},
    };
    unitbox_core::sys::ignore_signal(Signal::SIGPIPE);
    Err(exec_failed(saved_stderr.as_ref(), e))
}

fn exec_failed(saved_stderr: Option<&OwnedFd>, e: nix::errno::Errno) -> String {
    restore(saved_stderr);
    format!("Failed to execute process: {}", os_error_text(&e.into()))
}

/// Puts the caller's stderr back (for our own error message).
fn restore(saved_stderr: Option<&OwnedFd>) {
    if let Some(fd) = saved_stderr {
        let _ = nix::unistd::dup2(fd.as_raw_fd(), 2);
    }
}

/// What `/bin/cat` would do: stdin to the stream, chunk by chunk as it arrives.
fn copy_stdin(out: OwnedFd) -> io::Result<()> {
    let mut out = std::fs::File::from(out);
    let mut stdin = io::stdin().lock();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match stdin.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        out.write_all(&buf[..n])?;
    }
}
