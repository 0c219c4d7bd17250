//! Where received messages go: the sender's unit journal (or `system.journal` for processes
//! outside any unit), with the trusted fields; filtered by `MaxLevelStore=`, rate-limited per
//! unit (`RateLimitIntervalSec=`/`RateLimitBurst=`, with journald's "Suppressed N messages"
//! record when the next interval starts), and copied onto the console (the `docker logs`
//! view) in the `unit: message` form service output has there.

use super::config::{Config, Storage};
use super::peer::{Credentials, Peer, Peers};
use super::stream::Header;
use super::syslog::Syslog;
use crate::journal::record::{Fields, Source, Stream};
use crate::journal::writer::{JournalWriter, DEFAULT_MAX_BYTES};
use crate::state::boot::current_boot_id;
use crate::state::StateDir;
use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

/// The journal file of records from processes outside any unit.
pub const NO_UNIT_FILE: &str = "system";
/// `SD_MESSAGE_JOURNAL_DROPPED`: the "Suppressed N messages" record's `MESSAGE_ID=`.
const MESSAGE_JOURNAL_DROPPED: &str = "a596d6fe7bfa4994828e72309e95d61e";
/// Writers kept open at most.
const WRITERS_MAX: usize = 128;

struct Window {
    start: Instant,
    count: u64,
    suppressed: u64,
}

pub struct Sink {
    dir: PathBuf,
    writers: HashMap<String, JournalWriter>,
    console: Option<File>,
    config: Config,
    limits: HashMap<String, Window>,
    boot_id: String,
}

impl Sink {
    pub fn new(state: &StateDir, config: Config) -> Sink {
        let console = match config.forward_to_console {
            Some(false) => None,
            _ => crate::supervisor::output::console_for(state),
        };
        let dir = state.journal_dir();
        let _ = std::fs::create_dir_all(&dir);
        Sink {
            dir,
            writers: HashMap::new(),
            console,
            config,
            limits: HashMap::new(),
            boot_id: current_boot_id().to_string(),
        }
    }

    pub fn line_max(&self) -> usize {
        self.config.line_max
    }

    pub fn native(&mut self, peers: &mut Peers, cred: Credentials, fields: Fields) {
        let mut level = 6;
        let mut identifier = String::new();
        let mut message = Vec::new();
        let mut rest = Fields::with_capacity(fields.len());
        for (key, value) in fields {
            match key.as_str() {
                "PRIORITY" => match value.as_slice() {
                    [d @ b'0'..=b'7'] => level = d - b'0',
                    _ => rest.push((key, value)),
                },
                "SYSLOG_IDENTIFIER" => identifier = String::from_utf8_lossy(&value).into_owned(),
                "MESSAGE" => message = value,
                _ => rest.push((key, value)),
            }
        }
        let peer = peers.describe(cred);
        self.store(
            Stream::Native,
            cred,
            peer,
            level,
            &identifier,
            rest,
            &message,
        );
    }

    pub fn syslog(&mut self, peers: &mut Peers, cred: Credentials, s: Syslog) {
        let peer = peers.describe(cred);
        let fields: Fields = s
            .fields
            .into_iter()
            .filter(|(k, _)| k != "SYSLOG_IDENTIFIER")
            .collect();
        self.store(
            Stream::Syslog,
            cred,
            peer,
            s.level,
            &s.identifier,
            fields,
            &s.message,
        );
    }

    pub fn stream_line(
        &mut self,
        peers: &mut Peers,
        cred: Credentials,
        header: &Header,
        stream_id: &str,
        level: u8,
        message: &[u8],
    ) {
        let mut peer = peers.describe(cred);
        if peer.unit.is_empty() && cred.uid == 0 {
            // A privileged client may say which unit it speaks for (PID 1 does).
            peer.unit = header.unit_id.clone();
        }
        let mut fields = Fields::new();
        if header.priority > 7 {
            fields.push((
                "SYSLOG_FACILITY".into(),
                (header.priority >> 3).to_string().into_bytes(),
            ));
        }
        if !stream_id.is_empty() {
            fields.push(("_STREAM_ID".into(), stream_id.as_bytes().to_vec()));
        }
        self.store(
            Stream::StdoutStream,
            cred,
            peer,
            level,
            &header.identifier,
            fields,
            message,
        );
    }

    /// Whether the unit may log one more message now; writes the "Suppressed" record when
    /// a window that dropped messages is over.
    fn admit(&mut self, file: &str, unit: &str) -> bool {
        let interval = self.config.rate_limit_interval;
        let burst = self.config.rate_limit_burst;
        if interval.is_zero() || burst == 0 {
            return true;
        }
        let now = Instant::now();
        let w = self.limits.entry(file.to_string()).or_insert(Window {
            start: now,
            count: 0,
            suppressed: 0,
        });
        if now.duration_since(w.start) >= interval {
            let suppressed = w.suppressed;
            *w = Window {
                start: now,
                count: 0,
                suppressed: 0,
            };
            if suppressed > 0 {
                let from = if unit.is_empty() {
                    "/".to_string()
                } else {
                    format!("/system.slice/{unit}")
                };
                let text = format!("Suppressed {suppressed} messages from {from}");
                let fields = [
                    (
                        "MESSAGE_ID".to_string(),
                        MESSAGE_JOURNAL_DROPPED.as_bytes().to_vec(),
                    ),
                    ("N_DROPPED".to_string(), suppressed.to_string().into_bytes()),
                ];
                self.write(
                    file,
                    Stream::Driver,
                    None,
                    unit,
                    "systemd-journald",
                    4,
                    &fields,
                    text.as_bytes(),
                );
            }
        }
        let Some(w) = self.limits.get_mut(file) else {
            return true;
        };
        if w.count >= burst {
            w.suppressed += 1;
            return false;
        }
        w.count += 1;
        true
    }

    #[allow(clippy::too_many_arguments)]
    fn store(
        &mut self,
        stream: Stream,
        cred: Credentials,
        peer: Peer,
        level: u8,
        identifier: &str,
        mut fields: Fields,
        message: &[u8],
    ) {
        if self.config.storage == Storage::None && self.console.is_none() {
            return;
        }
        let file = if peer.unit.is_empty() {
            NO_UNIT_FILE.to_string()
        } else {
            peer.unit.clone()
        };
        if !self.admit(&file, &peer.unit) {
            return;
        }
        if level <= self.config.max_level_console {
            if let Some(console) = &mut self.console {
                let prefix = if !peer.unit.is_empty() {
                    peer.unit.as_str()
                } else if !identifier.is_empty() {
                    identifier
                } else {
                    peer.comm.as_str()
                };
                let mut line = Vec::with_capacity(prefix.len() + message.len() + 3);
                line.extend_from_slice(prefix.as_bytes());
                line.extend_from_slice(b": ");
                line.extend_from_slice(message);
                line.push(b'\n');
                let _ = console.write_all(&line);
            }
        }
        if self.config.storage == Storage::None || level > self.config.max_level_store {
            return;
        }
        fields.extend(peer.fields);
        let uid = (cred.uid != u32::MAX).then_some(cred.uid);
        self.write(
            &file,
            stream,
            Some((cred.pid, uid)),
            &peer.unit,
            identifier,
            level,
            &fields,
            message,
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn write(
        &mut self,
        file: &str,
        stream: Stream,
        sender: Option<(u32, Option<u32>)>,
        unit: &str,
        identifier: &str,
        level: u8,
        fields: &[(String, Vec<u8>)],
        message: &[u8],
    ) {
        if !self.writers.contains_key(file) {
            if self.writers.len() >= WRITERS_MAX {
                self.writers.clear();
            }
            match JournalWriter::open_in(&self.dir, file, DEFAULT_MAX_BYTES) {
                Ok(w) => {
                    self.writers.insert(file.to_string(), w);
                }
                Err(e) => {
                    log::warn!("Failed to open the journal of {file}: {e}");
                    return;
                }
            }
        }
        let Some(writer) = self.writers.get_mut(file) else {
            return;
        };
        let (pid, uid) = sender.unwrap_or((std::process::id(), None));
        let source = Source {
            boot_id: self.boot_id.clone(),
            stream,
            pid,
            uid,
            unit: unit.to_string(),
            identifier: identifier.to_string(),
            invocation_id: String::new(),
        };
        if let Err(e) = writer.append_fields(&source, level, fields, message) {
            log::warn!("Failed to write to the journal of {file}: {e}");
        }
    }
}
