//! `journald.conf(5)`: `/etc/systemd/journald.conf`, then the drop-ins
//! `journald.conf.d/*.conf` of `/usr/lib/systemd`, `/run/systemd` and `/etc/systemd`
//! (sorted by file name, a later one overriding), `[Journal]` section. Unknown keys and bad
//! values are warned about and ignored, as systemd does.

use crate::root::Root;
use crate::unit::value::parse_bool;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    Volatile,
    Persistent,
    Auto,
    None,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub storage: Storage,
    pub system_max_use: Option<u64>,
    pub runtime_max_use: Option<u64>,
    pub max_retention: Option<Duration>,
    pub rate_limit_interval: Duration,
    pub rate_limit_burst: u64,
    /// `None`: as the console copy of service output (on under a unitbox PID 1 that
    /// copies, the `docker logs` view).
    pub forward_to_console: Option<bool>,
    pub max_level_store: u8,
    pub max_level_console: u8,
    pub line_max: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            storage: Storage::Auto,
            system_max_use: None,
            runtime_max_use: None,
            max_retention: None,
            rate_limit_interval: Duration::from_secs(30),
            rate_limit_burst: 10_000,
            forward_to_console: None,
            max_level_store: 7,
            max_level_console: 6,
            line_max: crate::journal::writer::LINE_MAX,
        }
    }
}

impl Config {
    /// The configuration files of `root`, in the order they apply.
    pub fn files(root: &Root) -> Vec<PathBuf> {
        let mut files = vec![root.host_path(Path::new("/etc/systemd/journald.conf"))];
        let mut dropins: Vec<(String, PathBuf)> = Vec::new();
        for dir in [
            "/usr/lib/systemd/journald.conf.d",
            "/usr/local/lib/systemd/journald.conf.d",
            "/run/systemd/journald.conf.d",
            "/etc/systemd/journald.conf.d",
        ] {
            let Ok(entries) = std::fs::read_dir(root.host_path(Path::new(dir))) else {
                continue;
            };
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.ends_with(".conf") {
                    // The same name in a later directory replaces the earlier file.
                    dropins.retain(|(n, _)| *n != name);
                    dropins.push((name, e.path()));
                }
            }
        }
        dropins.sort_by(|a, b| a.0.cmp(&b.0));
        files.extend(dropins.into_iter().map(|(_, p)| p));
        files
    }

    pub fn load(root: &Root) -> Config {
        let mut config = Config::default();
        for file in Self::files(root) {
            if let Ok(text) = std::fs::read_to_string(&file) {
                config.apply(&text, &file);
            }
        }
        config
    }

    pub fn apply(&mut self, text: &str, file: &Path) {
        let mut in_journal = false;
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with(['#', ';']) {
                continue;
            }
            if line.starts_with('[') {
                in_journal = line == "[Journal]";
                continue;
            }
            if !in_journal {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let (key, value) = (key.trim(), value.trim());
            if !self.set(key, value) {
                log::warn!(
                    "{}:{}: Failed to parse {key}=, ignoring: {value}",
                    file.display(),
                    number + 1
                );
            }
        }
    }

    /// One setting; false when the key is unknown or its value bad.
    fn set(&mut self, key: &str, value: &str) -> bool {
        let size = || crate::unit::value::parse_size(value).ok();
        let span = || {
            crate::time::parse_sec(value)
                .ok()
                .map(Duration::from_micros)
        };
        let level = || crate::journal::record::parse_priority(value);
        match key {
            "Storage" => {
                self.storage = match value {
                    "volatile" => Storage::Volatile,
                    "persistent" => Storage::Persistent,
                    "auto" => Storage::Auto,
                    "none" => Storage::None,
                    _ => return false,
                }
            }
            "SystemMaxUse" => match size() {
                Some(n) => self.system_max_use = Some(n),
                None => return false,
            },
            "RuntimeMaxUse" => match size() {
                Some(n) => self.runtime_max_use = Some(n),
                None => return false,
            },
            "MaxRetentionSec" => match span() {
                Some(d) => self.max_retention = (!d.is_zero()).then_some(d),
                None => return false,
            },
            "RateLimitIntervalSec" | "RateLimitInterval" => match span() {
                Some(d) => self.rate_limit_interval = d,
                None => return false,
            },
            "RateLimitBurst" => match value.parse() {
                Ok(n) => self.rate_limit_burst = n,
                Err(_) => return false,
            },
            "ForwardToConsole" => match parse_bool(value) {
                Some(b) => self.forward_to_console = Some(b),
                None => return false,
            },
            "MaxLevelStore" => match level() {
                Some(l) => self.max_level_store = l,
                None => return false,
            },
            "MaxLevelConsole" => match level() {
                Some(l) => self.max_level_console = l,
                None => return false,
            },
            "LineMax" => match size() {
                // journald's minimum is 79.
                Some(n) => self.line_max = (n as usize).max(79),
                None => return false,
            },
            // Known to journald, without meaning here.
            "Compress" | "Seal" | "SplitMode" | "SyncIntervalSec" | "ForwardToSyslog"
            | "ForwardToKMsg" | "ForwardToWall" | "MaxLevelSyslog" | "MaxLevelKMsg"
            | "MaxLevelWall" | "TTYPath" | "ReadKMsg" | "Audit" | "SystemKeepFree"
            | "SystemMaxFileSize" | "SystemMaxFiles" | "RuntimeKeepFree" | "RuntimeMaxFileSize"
            | "RuntimeMaxFiles" | "MaxFileSec" => {}
            _ => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_and_dropins() {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::new(dir.path());
        let etc = dir.path().join("etc/systemd");
        std::fs::create_dir_all(etc.join("journald.conf.d")).unwrap();
        std::fs::write(
            etc.join("journald.conf"),
            "[Journal]\nStorage=volatile\nRateLimitBurst=5\nLineMax=10\n#Comment=1\n",
        )
        .unwrap();
        std::fs::write(
            etc.join("journald.conf.d/50-x.conf"),
            "[Journal]\nRateLimitIntervalSec=2s\nMaxLevelStore=warning\nForwardToConsole=no\nSystemMaxUse=10M\nBogus=1\n",
        )
        .unwrap();
        let c = Config::load(&root);
        assert_eq!(c.storage, Storage::Volatile);
        assert_eq!(c.rate_limit_burst, 5);
        assert_eq!(c.line_max, 79);
        assert_eq!(c.rate_limit_interval, Duration::from_secs(2));
        assert_eq!(c.max_level_store, 4);
        assert_eq!(c.forward_to_console, Some(false));
        assert_eq!(c.system_max_use, Some(10 << 20));
        let mut c = Config::default();
        assert!(!c.set("Storage", "sometimes"));
        assert!(!c.set("SystemMaxUse", "lots"));
        assert_eq!(c.system_max_use, None);
    }
}
