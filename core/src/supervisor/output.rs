//! The unit's standard output and error into its journal, as journald's stdout streams do:
//! every command (ExecStart=, ExecStartPre=, ExecStop=, …) gets a pipe of its own for
//! stdout and one for stderr, and its records carry that command's pid and identifier
//! (SyslogIdentifier=, else the command's file name), whichever of its descendants wrote
//! the line. Lines are split with `<N>` level prefixes. Also the supervisor's own messages
//! about the unit ("Started …") and the optional console copy of PID 1: the descriptor
//! PID 1 handed down (`UNITBOX_CONSOLE_FD`), or, for a unit started by another process
//! (`docker exec … systemctl start`), PID 1's stdout opened anew through `/proc/1/fd/1`.

use crate::exec::command::ExecCommand;
use crate::journal::record::{Source, Stream};
use crate::journal::writer::{Batch, JournalWriter, LineSplitter, DEFAULT_MAX_BYTES, LINE_MAX};
use crate::service::ServiceConfig;
use crate::state::boot::current_boot_id;
use crate::state::StateDir;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;

/// Names the descriptor on which PID 1 wants a copy of every service's output.
pub const CONSOLE_FD_ENV: &str = "UNITBOX_CONSOLE_FD";
/// PID 1's stdout, as any process of its PID namespace may reopen it.
const PID1_STDOUT: &str = "/proc/1/fd/1";
/// Open pipes kept at most; beyond, those of commands that exited are closed first (their
/// lingering descendants then lose their output, as they would lose it at rest anyway).
const MAX_CAPTURES: usize = 64;
/// One read of a pipe.
const CHUNK: usize = 16 * 1024;
/// Reads per pipe and poll round, so that a chatty process cannot starve other events.
const READS_PER_ROUND: usize = 16;
/// Reads per pipe when its process has exited or the unit is at rest: all a pipe buffer
/// holds, and a bound against a descendant that keeps writing.
const READS_TO_EMPTY: usize = 64;

/// The read end of one command's stdout or stderr.
struct Capture {
    read: File,
    splitter: LineSplitter,
    /// What its records say: the command's pid and identifier, the stream.
    source: Source,
    /// The command itself exited; descendants may still hold the write end.
    exited: bool,
}

/// The pipes of one command about to be spawned.
pub struct CommandPipes {
    stdout: (File, OwnedFd),
    stderr: (File, OwnedFd),
}

impl CommandPipes {
    /// The write ends, for the child's stdout and stderr (the child gets duplicates).
    pub fn child_fds(&self) -> (RawFd, RawFd) {
        (self.stdout.1.as_raw_fd(), self.stderr.1.as_raw_fd())
    }
}

/// Who wrote a command's lines, for its records.
pub struct Writer {
    pub pid: u32,
    pub identifier: String,
}

pub struct Output {
    unit: String,
    journal: Option<JournalWriter>,
    captures: Vec<Capture>,
    console: Option<File>,
    level_prefix: bool,
    level: u8,
    pub invocation_id: String,
}

/// A pipe whose read end does not block (for the poll loop) and whose write end does (as
/// the child's stdout must); both close-on-exec: children get duplicates.
fn pipe() -> std::io::Result<(File, OwnedFd)> {
    let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
    // A fresh read end has no other status flags.
    nix::fcntl::fcntl(
        r.as_raw_fd(),
        nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
    )?;
    Ok((File::from(r), w))
}

/// What a command's records are named after: SyslogIdentifier=, else the file name of the
/// command's executable (systemd's `basename(command->path)`).
pub fn identifier(config: &ServiceConfig, command: &ExecCommand) -> String {
    if let Some(id) = &config.exec.syslog_identifier {
        return id.clone();
    }
    let name = command.path.rsplit('/').next().unwrap_or_default();
    if name.is_empty() {
        command.path.clone()
    } else {
        name.to_string()
    }
}

impl Output {
    pub fn new(
        state_dir: &StateDir,
        unit: &str,
        level_prefix: bool,
        level: u8,
    ) -> std::io::Result<Output> {
        let journal = match JournalWriter::open(state_dir, unit, DEFAULT_MAX_BYTES) {
            Ok(j) => Some(j),
            Err(e) => {
                log::warn!("{unit}: cannot open the journal: {e}");
                None
            }
        };
        Ok(Output {
            unit: unit.to_string(),
            journal,
            captures: Vec::new(),
            console: console_from_env().or_else(|| console_of_pid1(state_dir)),
            level_prefix,
            level,
            invocation_id: String::new(),
        })
    }

    /// Fresh pipes for the next command.
    pub fn command_pipes(&self) -> std::io::Result<CommandPipes> {
        Ok(CommandPipes {
            stdout: pipe()?,
            stderr: pipe()?,
        })
    }

    /// Starts reading the pipes the spawned command writes to (`writes_to`: stdout,
    /// stderr) and closes our write ends, so that EOF comes once the command and its
    /// descendants are done with them.
    pub fn attach(&mut self, pipes: CommandPipes, writes_to: (bool, bool), writer: Writer) {
        let CommandPipes { stdout, stderr } = pipes;
        for ((read, write), stream, used) in [
            (stdout, Stream::Stdout, writes_to.0),
            (stderr, Stream::Stderr, writes_to.1),
        ] {
            drop(write);
            if !used {
                continue;
            }
            self.captures.push(Capture {
                read,
                splitter: LineSplitter::new(LINE_MAX, self.level_prefix, self.level),
                source: Source {
                    boot_id: current_boot_id().to_string(),
                    stream,
                    pid: writer.pid,
                    uid: None,
                    unit: self.unit.clone(),
                    identifier: writer.identifier.clone(),
                    invocation_id: self.invocation_id.clone(),
                },
                exited: false,
            });
        }
        while self.captures.len() > MAX_CAPTURES {
            let Some(oldest) = self.captures.iter().position(|c| c.exited) else {
                break;
            };
            self.pump(oldest, READS_TO_EMPTY, true);
            self.close(oldest);
        }
    }

    /// The read ends, for the poll loop.
    pub fn read_fds(&self) -> impl Iterator<Item = RawFd> + '_ {
        self.captures.iter().map(|c| c.read.as_raw_fd())
    }

    pub fn owns(&self, fd: RawFd) -> bool {
        self.read_fds().any(|r| r == fd)
    }

    /// Reads what is waiting on the pipe with read end `fd` (poll said so) and logs it;
    /// closes the pipe at EOF.
    pub fn drain(&mut self, fd: RawFd) {
        if let Some(index) = self.captures.iter().position(|c| c.read.as_raw_fd() == fd) {
            if self.pump(index, READS_PER_ROUND, false) {
                self.close(index);
            }
        }
    }

    /// Process `pid` was reaped: everything it wrote is in its pipes now; logs it before
    /// anything is said about its exit. Pipes its descendants still hold stay open.
    pub fn process_exited(&mut self, pid: u32) {
        let mut index = 0;
        while index < self.captures.len() {
            if self.captures[index].source.pid != pid {
                index += 1;
                continue;
            }
            self.captures[index].exited = true;
            if self.pump(index, READS_TO_EMPTY, true) {
                self.close(index);
            } else {
                index += 1;
            }
        }
    }

    /// The unit is at rest: logs what is readable and closes every pipe, so that a
    /// leftover process holding one cannot keep them open (or us waiting).
    pub fn close_all(&mut self) {
        while !self.captures.is_empty() {
            self.pump(0, READS_TO_EMPTY, true);
            self.close(0);
        }
    }

    /// Reads and logs up to `reads` chunks; with `until_empty` a short read does not end
    /// it (only "would block" does). True at EOF.
    fn pump(&mut self, index: usize, reads: usize, until_empty: bool) -> bool {
        let mut buf = [0u8; CHUNK];
        let mut done = 0;
        while done < reads {
            let n = match self.captures[index].read.read(&mut buf) {
                Ok(0) => return true,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return false,
                Err(e) => {
                    log::warn!("{}: reading the output: {e}", self.unit);
                    return true;
                }
            };
            done += 1;
            self.consume(index, &buf[..n]);
            if n < buf.len() && !until_empty {
                return false;
            }
        }
        false
    }

    fn consume(&mut self, index: usize, data: &[u8]) {
        let Output {
            captures,
            journal,
            console,
            unit,
            ..
        } = self;
        let capture = &mut captures[index];
        let source = &capture.source;
        let mut batch = Batch::default();
        capture.splitter.feed(data, &mut |p, m| batch.push(p, m));
        log_batch(journal, console, unit, source, &batch);
    }

    /// The end of a pipe: its last line without a line break is still a message.
    fn close(&mut self, index: usize) {
        let Output {
            captures,
            journal,
            console,
            unit,
            ..
        } = self;
        let mut capture = captures.remove(index);
        let source = &capture.source;
        let mut batch = Batch::default();
        capture.splitter.finish(&mut |p, m| batch.push(p, m));
        log_batch(journal, console, unit, source, &batch);
    }

    /// A message of the manager about the unit (`Started Foo.`), as systemd logs it.
    pub fn manager(&mut self, priority: u8, message: &str) {
        let source = Source {
            boot_id: current_boot_id().to_string(),
            stream: Stream::Manager,
            pid: std::process::id(),
            uid: None,
            unit: self.unit.clone(),
            identifier: "systemd".to_string(),
            invocation_id: self.invocation_id.clone(),
        };
        if let Some(journal) = &mut self.journal {
            let _ = journal.append(&source, priority, message.as_bytes());
        }
    }
}

/// Diverts this process's logger (warnings about the unit: its file's unknown keys, bad
/// values, …) into the unit's journal as the manager's records (identifier `systemd`, as
/// systemd logs them) and onto the console copy under a unitbox PID 1.
pub fn divert_logger(state_dir: &StateDir, unit: &str) {
    let mut journal = JournalWriter::open(state_dir, unit, DEFAULT_MAX_BYTES).ok();
    let mut console = console_from_env().or_else(|| console_of_pid1(state_dir));
    let unit = unit.to_string();
    let source = Source {
        boot_id: current_boot_id().to_string(),
        stream: Stream::Manager,
        pid: std::process::id(),
        uid: None,
        unit: unit.clone(),
        identifier: "systemd".to_string(),
        invocation_id: String::new(),
    };
    crate::logger::divert(Box::new(move |priority, message| {
        if let Some(journal) = &mut journal {
            let _ = journal.append(&source, priority, message.as_bytes());
        }
        if let Some(console) = &mut console {
            let _ = console.write_all(format!("{unit}: {message}\n").as_bytes());
        }
    }));
}

/// The lines of one read of a command's pipe into the journal and the console copy.
fn log_batch(
    journal: &mut Option<JournalWriter>,
    console: &mut Option<File>,
    unit: &str,
    source: &Source,
    batch: &Batch,
) {
    if batch.is_empty() {
        return;
    }
    let messages = batch.messages();
    if let Some(journal) = journal {
        if let Err(e) = journal.append_batch(source, &messages) {
            log::warn!("{unit}: journal: {e}");
        }
    }
    if let Some(console) = console {
        let mut lines = Vec::new();
        for (_, message) in messages {
            lines.extend_from_slice(unit.as_bytes());
            lines.extend_from_slice(b": ");
            lines.extend_from_slice(message);
            lines.push(b'\n');
        }
        let _ = console.write_all(&lines);
    }
}

/// The console copy a journal receiver of this state directory writes to: the one PID 1
/// handed down, else PID 1's stdout when it wants copies.
pub fn console_for(state_dir: &StateDir) -> Option<File> {
    console_from_env().or_else(|| console_of_pid1(state_dir))
}

/// The console copy: a descriptor number in the environment, duplicated (close-on-exec)
/// so that services never inherit it.
fn console_from_env() -> Option<File> {
    let fd: RawFd = std::env::var(CONSOLE_FD_ENV).ok()?.parse().ok()?;
    crate::sys::dup_above(fd, 3).ok().map(File::from)
}

/// PID 1's stdout, when the scope's init is a unitbox PID 1 that copies service output
/// (its record says so). Opened for appending, so that a console that is a regular file
/// is not overwritten from the start; close-on-exec, so services never inherit it.
fn console_of_pid1(state_dir: &StateDir) -> Option<File> {
    if !crate::init::record::InitRecord::pid1_wants_console(state_dir) {
        return None;
    }
    match std::fs::OpenOptions::new()
        .append(true)
        .custom_flags(libc::O_CLOEXEC | libc::O_NOCTTY)
        .open(PID1_STDOUT)
    {
        Ok(file) => Some(file),
        Err(e) => {
            log::debug!("no console copy: {PID1_STDOUT}: {e}");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::record::Record;

    fn output() -> (tempfile::TempDir, StateDir, Output) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = StateDir::open(
            tmp.path().to_path_buf(),
            crate::state::boot::BootRecord::current(),
        )
        .unwrap();
        let out = Output::new(&dir, "t.service", true, 6).unwrap();
        (tmp, dir, out)
    }

    /// Attaches a command's pipes; returns its stdout and stderr as the child holds them.
    fn command(out: &mut Output, pid: u32, identifier: &str) -> (OwnedFd, OwnedFd) {
        let pipes = out.command_pipes().unwrap();
        let (stdout, stderr) = pipes.child_fds();
        let child = |fd: RawFd| crate::sys::dup_above(fd, 0).unwrap();
        let held = (child(stdout), child(stderr));
        let writer = Writer {
            pid,
            identifier: identifier.into(),
        };
        out.attach(pipes, (true, true), writer);
        held
    }

    fn write(fd: &OwnedFd, text: &[u8]) {
        assert_eq!(nix::unistd::write(fd, text), Ok(text.len()));
    }

    fn drain_all(out: &mut Output) {
        for fd in out.read_fds().collect::<Vec<_>>() {
            out.drain(fd);
        }
    }

    fn records(dir: &StateDir) -> Vec<(String, u8, Stream, u32, String)> {
        let text = std::fs::read(dir.journal_dir().join("t.service.journal")).unwrap();
        text.split_inclusive(|&b| b == b'\n')
            .map(|l| Record::decode(l).unwrap())
            .map(|r| {
                let message = r.message_lossy().into_owned();
                (message, r.priority, r.stream, r.pid, r.identifier)
            })
            .collect()
    }

    #[test]
    fn each_command_logs_under_its_own_pid_and_identifier() {
        let (_tmp, dir, mut out) = output();
        let (pre_out, pre_err) = command(&mut out, 77, "echo");
        let (main_out, _main_err) = command(&mut out, 78, "sh");
        write(&pre_out, b"hello\n<3>bad\npartial");
        write(&pre_err, b"oops\n");
        write(&main_out, b"main\n");
        drain_all(&mut out);
        out.manager(6, "Started t.");
        let got = records(&dir);
        let line = |m: &str, p, s, pid, id: &str| (m.to_string(), p, s, pid, id.to_string());
        assert_eq!(got[0], line("hello", 6, Stream::Stdout, 77, "echo"));
        assert_eq!(got[1], line("bad", 3, Stream::Stdout, 77, "echo"));
        assert_eq!(got[2], line("oops", 6, Stream::Stderr, 77, "echo"));
        assert_eq!(got[3], line("main", 6, Stream::Stdout, 78, "sh"));
        assert_eq!(got[4].0, "Started t.");
        assert_eq!(got[4].4, "systemd");
        assert_eq!(got.len(), 5, "a line without newline waits for more");
        // The command exits: its last line is flushed at EOF and its pipes close.
        drop((pre_out, pre_err));
        out.process_exited(77);
        assert_eq!(
            records(&dir)[5],
            line("partial", 6, Stream::Stdout, 77, "echo")
        );
        assert_eq!(out.read_fds().count(), 2, "the main process's pipes stay");
    }

    #[test]
    fn a_descendant_holding_a_pipe_keeps_it_until_the_unit_rests() {
        let (_tmp, dir, mut out) = output();
        let (held_out, held_err) = command(&mut out, 90, "sh");
        out.process_exited(90);
        assert_eq!(out.read_fds().count(), 2, "a descendant still writes");
        write(&held_out, b"from the child\nlast");
        drain_all(&mut out);
        assert_eq!(records(&dir).len(), 1);
        out.close_all();
        assert_eq!(out.read_fds().count(), 0);
        let messages: Vec<String> = records(&dir).into_iter().map(|r| r.0).collect();
        assert_eq!(messages, ["from the child", "last"]);
        drop((held_out, held_err));
    }

    #[test]
    fn pipes_the_command_does_not_write_to_are_not_kept() {
        let (_tmp, _dir, mut out) = output();
        let pipes = out.command_pipes().unwrap();
        let writer = Writer {
            pid: 5,
            identifier: "x".into(),
        };
        out.attach(pipes, (true, false), writer);
        assert_eq!(out.read_fds().count(), 1);
    }

    #[test]
    fn pipes_of_exited_commands_are_bounded() {
        let (_tmp, _dir, mut out) = output();
        let mut held = Vec::new();
        for pid in 1..=100 {
            held.push(command(&mut out, pid, "sh"));
            out.process_exited(pid);
        }
        assert!(out.read_fds().count() <= MAX_CAPTURES);
    }

    #[test]
    fn records_are_named_after_the_command_unless_syslog_identifier_says() {
        let config = crate::supervisor::test_config(
            "[Service]\nExecStartPre=/bin/echo hi\nExecStart=sh -c true\n",
        );
        assert_eq!(identifier(&config, &config.exec_start_pre[0]), "echo");
        assert_eq!(identifier(&config, &config.exec_start[0]), "sh");
        let named = crate::supervisor::test_config(
            "[Service]\nSyslogIdentifier=web\nExecStart=/bin/echo hi\n",
        );
        assert_eq!(identifier(&named, &named.exec_start[0]), "web");
    }
}
