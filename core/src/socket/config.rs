//! A `.socket` unit's `[Socket]` section as systemd 252 reads it (load-fragment.c's
//! `config_parse_socket_listen()` and friends): the `Listen*=` values in file order (an
//! empty assignment resets them all), the socket options, and `Service=`. Bad values are
//! warned about with systemd's words and ignored; a socket without any `Listen*=` is
//! refused (`socket_verify()`).

use super::address::{ipv6_supported, parse_socket, BindAddress, Listen, ListenKind};
use crate::exec::context::parse_mode;
use crate::scope::Scope;
use crate::time::parse_sec;
use crate::unit::deps::{self, Dep};
use crate::unit::syntax::Diagnostic;
use crate::unit::value::{parse_bool, parse_size};
use crate::unit::{Settings, Unit};
use std::path::PathBuf;

/// `BindIPv6Only=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindIpv6Only {
    Default,
    Both,
    Ipv6Only,
}

impl BindIpv6Only {
    pub fn as_str(self) -> &'static str {
        match self {
            BindIpv6Only::Default => "default",
            BindIpv6Only::Both => "both",
            BindIpv6Only::Ipv6Only => "ipv6-only",
        }
    }
}

/// `SOMAXCONN_DELUXE`: 252's default backlog (the kernel caps it at somaxconn).
pub const BACKLOG_DEFAULT: u32 = i32::MAX as u32;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketConfig {
    pub listens: Vec<Listen>,
    pub accept: bool,
    pub bind_ipv6_only: BindIpv6Only,
    pub backlog: u32,
    pub bind_to_device: Option<String>,
    pub socket_user: Option<String>,
    pub socket_group: Option<String>,
    pub socket_mode: u32,
    pub directory_mode: u32,
    pub keep_alive: bool,
    pub keep_alive_time: u64,
    pub keep_alive_interval: u64,
    pub keep_alive_probes: u32,
    pub no_delay: bool,
    pub priority: i32,
    pub receive_buffer: u64,
    pub send_buffer: u64,
    pub ip_tos: i32,
    pub ip_ttl: i32,
    pub mark: i32,
    pub reuse_port: bool,
    pub free_bind: bool,
    pub transparent: bool,
    pub broadcast: bool,
    pub pass_credentials: bool,
    pub pass_security: bool,
    pub pass_packet_info: bool,
    pub writable: bool,
    pub remove_on_stop: bool,
    pub symlinks: Vec<PathBuf>,
    pub max_connections: u32,
    pub max_connections_per_source: u32,
    pub trigger_limit_interval: u64,
    /// `None`: 20, or 200 with `Accept=yes`.
    pub trigger_limit_burst: Option<u32>,
    pub timeout: u64,
    /// `FileDescriptorName=`: empty means the unit's name.
    pub fd_name: String,
    /// The service this socket activates (`Service=`, else the same name; for
    /// `Accept=yes` the template `NAME@.service`).
    pub service: String,
}

impl Default for SocketConfig {
    fn default() -> Self {
        SocketConfig {
            listens: Vec::new(),
            accept: false,
            bind_ipv6_only: BindIpv6Only::Default,
            backlog: BACKLOG_DEFAULT,
            bind_to_device: None,
            socket_user: None,
            socket_group: None,
            socket_mode: 0o666,
            directory_mode: 0o755,
            keep_alive: false,
            keep_alive_time: 0,
            keep_alive_interval: 0,
            keep_alive_probes: 0,
            no_delay: false,
            priority: -1,
            receive_buffer: 0,
            send_buffer: 0,
            ip_tos: -1,
            ip_ttl: -1,
            mark: -1,
            reuse_port: false,
            free_bind: false,
            transparent: false,
            broadcast: false,
            pass_credentials: false,
            pass_security: false,
            pass_packet_info: false,
            writable: false,
            remove_on_stop: false,
            symlinks: Vec::new(),
            max_connections: 64,
            max_connections_per_source: 0,
            trigger_limit_interval: 2_000_000,
            trigger_limit_burst: None,
            timeout: 90_000_000,
            fd_name: String::new(),
            service: String::new(),
        }
    }
}

/// systemd's refusal of a socket without `Listen*=` (`socket_verify()`).
pub const LACKS_LISTEN: &str =
    "Unit has no Listen setting (ListenStream=, ListenDatagram=, ListenFIFO=, ...). Refusing.";

impl SocketConfig {
    /// The configuration of a loaded socket unit, specifiers resolved for `scope`.
    pub fn from_unit(unit: &Unit, scope: &Scope) -> (SocketConfig, Vec<Diagnostic>) {
        let expand = |raw: &str| deps::specifiers(unit, scope, raw);
        let (mut config, diagnostics) = parse(&unit.settings, &expand, ipv6_supported());
        if config.fd_name.is_empty() {
            config.fd_name = unit.id.to_string();
        }
        config.service = if config.accept {
            format!("{}@.service", unit.id.stem())
        } else {
            deps::declared_of(unit, scope, Dep::Triggers)
                .into_iter()
                .next()
                .unwrap_or_else(|| format!("{}.service", unit.id.stem()))
        };
        (config, diagnostics)
    }

    pub fn trigger_burst(&self) -> u32 {
        self.trigger_limit_burst
            .unwrap_or(if self.accept { 200 } else { 20 })
    }
}

/// Parses the `[Socket]` section; `expand` resolves specifiers of paths and names.
pub fn parse(
    settings: &Settings,
    expand: &dyn Fn(&str) -> String,
    ipv6: bool,
) -> (SocketConfig, Vec<Diagnostic>) {
    let mut c = SocketConfig::default();
    let mut diagnostics = Vec::new();
    for e in settings.entries.iter().filter(|e| e.section == "Socket") {
        let mut warn = |message: String| diagnostics.push(Diagnostic::at(e, message));
        let value = e.value.as_str();
        if let Some(kind) = ListenKind::from_key(&e.key) {
            if value.is_empty() {
                c.listens.clear();
                continue;
            }
            let text = expand(value);
            let address = match kind {
                ListenKind::Fifo | ListenKind::Special => {
                    if !text.starts_with('/') {
                        warn(format!("{}= path is not absolute, ignoring: {text}", e.key));
                        continue;
                    }
                    Ok(BindAddress::Unix(PathBuf::from(&text)))
                }
                _ => parse_socket(&text, ipv6),
            };
            match address {
                Ok(address) => c.listens.push(Listen { kind, address }),
                Err(errno) => warn(format!(
                    "Failed to parse address value in '{text}', ignoring: {errno}"
                )),
            }
            continue;
        }
        let boolean = |warn: &mut dyn FnMut(String), field: &mut bool| {
            if value.is_empty() {
                *field = false;
            } else if let Some(b) = parse_bool(value) {
                *field = b;
            } else {
                warn(format!("Failed to parse boolean value, ignoring: {value}"));
            }
        };
        let int = |warn: &mut dyn FnMut(String), field: &mut i32, what: &str| match value
            .parse::<i32>()
        {
            Ok(v) => *field = v,
            Err(_) => warn(format!("Failed to parse {what}, ignoring: {value}")),
        };
        // config_parse_unsigned() of 252 names no setting.
        let uint = |warn: &mut dyn FnMut(String), field: &mut u32, what: &str| match value
            .parse::<u32>()
        {
            Ok(v) => *field = v,
            Err(_) => warn(format!("Failed to parse {what}, ignoring: {value}")),
        };
        let size = |warn: &mut dyn FnMut(String), field: &mut u64| match parse_size(value) {
            Ok(v) if v <= i32::MAX as u64 => *field = v,
            Ok(_) => warn(format!(
                "Failed to parse size value '{value}', ignoring: Numerical result out of range"
            )),
            Err(e) => warn(format!(
                "Failed to parse size value '{value}', ignoring: {}",
                e.desc()
            )),
        };
        let sec = |warn: &mut dyn FnMut(String), field: &mut u64| match parse_sec(value) {
            Ok(v) => *field = v,
            Err(_) => warn(format!("Failed to parse sec value, ignoring: {value}")),
        };
        let mode = |warn: &mut dyn FnMut(String), field: &mut u32| match parse_mode(value) {
            Some(m) => *field = m,
            None => warn(format!("Failed to parse mode value, ignoring: {value}")),
        };
        match e.key.as_str() {
            "Accept" => boolean(&mut warn, &mut c.accept),
            "BindIPv6Only" => match value {
                "default" => c.bind_ipv6_only = BindIpv6Only::Default,
                "both" => c.bind_ipv6_only = BindIpv6Only::Both,
                "ipv6-only" => c.bind_ipv6_only = BindIpv6Only::Ipv6Only,
                _ => match parse_bool(value) {
                    Some(true) => c.bind_ipv6_only = BindIpv6Only::Ipv6Only,
                    Some(false) => c.bind_ipv6_only = BindIpv6Only::Both,
                    None => warn(format!(
                        "Failed to parse bind IPv6 only value, ignoring: {value}"
                    )),
                },
            },
            "Backlog" => uint(&mut warn, &mut c.backlog, "unsigned value"),
            "BindToDevice" => c.bind_to_device = Some(value.to_string()).filter(|v| !v.is_empty()),
            "SocketUser" => c.socket_user = Some(expand(value)).filter(|v| !v.is_empty()),
            "SocketGroup" => c.socket_group = Some(expand(value)).filter(|v| !v.is_empty()),
            "SocketMode" => mode(&mut warn, &mut c.socket_mode),
            "DirectoryMode" => mode(&mut warn, &mut c.directory_mode),
            "KeepAlive" => boolean(&mut warn, &mut c.keep_alive),
            "KeepAliveTimeSec" => sec(&mut warn, &mut c.keep_alive_time),
            "KeepAliveIntervalSec" => sec(&mut warn, &mut c.keep_alive_interval),
            "KeepAliveProbes" => uint(&mut warn, &mut c.keep_alive_probes, "unsigned value"),
            "NoDelay" => boolean(&mut warn, &mut c.no_delay),
            "Priority" => int(&mut warn, &mut c.priority, "int value"),
            "ReceiveBuffer" => size(&mut warn, &mut c.receive_buffer),
            "SendBuffer" => size(&mut warn, &mut c.send_buffer),
            "IPTOS" => int(&mut warn, &mut c.ip_tos, "IP TOS value"),
            "IPTTL" => int(&mut warn, &mut c.ip_ttl, "int value"),
            "Mark" => int(&mut warn, &mut c.mark, "int value"),
            "ReusePort" => boolean(&mut warn, &mut c.reuse_port),
            "FreeBind" => boolean(&mut warn, &mut c.free_bind),
            "Transparent" => boolean(&mut warn, &mut c.transparent),
            "Broadcast" => boolean(&mut warn, &mut c.broadcast),
            "PassCredentials" => boolean(&mut warn, &mut c.pass_credentials),
            "PassSecurity" => boolean(&mut warn, &mut c.pass_security),
            "PassPacketInfo" => boolean(&mut warn, &mut c.pass_packet_info),
            "Writable" => boolean(&mut warn, &mut c.writable),
            "RemoveOnStop" => boolean(&mut warn, &mut c.remove_on_stop),
            "Symlinks" => {
                if value.is_empty() {
                    c.symlinks.clear();
                }
                for word in value.split_whitespace() {
                    let path = expand(word);
                    if path.starts_with('/') {
                        c.symlinks.push(PathBuf::from(path));
                    } else {
                        warn(format!("Symlinks= path is not absolute, ignoring: {path}"));
                    }
                }
            }
            "MaxConnections" => uint(&mut warn, &mut c.max_connections, "unsigned value"),
            "MaxConnectionsPerSource" => uint(
                &mut warn,
                &mut c.max_connections_per_source,
                "unsigned value",
            ),
            "TriggerLimitIntervalSec" => sec(&mut warn, &mut c.trigger_limit_interval),
            "TriggerLimitBurst" => {
                let mut burst = 0;
                uint(&mut warn, &mut burst, "unsigned value");
                if value.parse::<u32>().is_ok() {
                    c.trigger_limit_burst = Some(burst);
                }
            }
            "TimeoutSec" => match parse_sec(value) {
                Ok(v) => c.timeout = v,
                Err(_) => warn(format!("Failed to parse time value, ignoring: {value}")),
            },
            "FileDescriptorName" => {
                let name = expand(value);
                if fd_name_valid(&name) {
                    c.fd_name = name;
                } else {
                    warn(format!("Invalid file descriptor name, ignoring: {value}"));
                }
            }
            _ => {}
        }
    }
    (c, diagnostics)
}

/// `fdname_is_valid()`: printable ASCII without `:`, at most 255 bytes.
pub fn fd_name_valid(name: &str) -> bool {
    name.len() <= 255
        && name
            .bytes()
            .all(|b| (b' '..=b'~').contains(&b) && b != b':')
}

/// `ListenNetlink=`, `ListenMessageQueue=`, `ListenUSBFunction=`: listen settings 252
/// accepts (so the socket loads, as Debian's `systemd-networkd.socket` does) that unitbox
/// does not open.
fn other_listens(settings: &Settings) -> bool {
    ["ListenNetlink", "ListenMessageQueue", "ListenUSBFunction"]
        .iter()
        .any(|key| !settings.get_list("Socket", key).is_empty())
}

/// Load-time checks of a socket unit: warnings about bad values, and `bad-setting` for a
/// socket without `Listen*=` or an `Accept=yes` socket naming its `Service=`.
pub fn verify(unit: &mut Unit) {
    let settings = unit.settings.clone();
    let (config, diagnostics) = parse(&settings, &|s| s.to_string(), ipv6_supported());
    unit.diagnostics.extend(diagnostics);
    let refuse = if config.listens.is_empty() && !other_listens(&settings) {
        Some(LACKS_LISTEN)
    } else if config.accept
        && config
            .listens
            .iter()
            .any(|l| !matches!(l.kind, ListenKind::Stream | ListenKind::SequentialPacket))
    {
        Some("Unit configured for accepting sockets, but sockets are non-accepting. Refusing.")
    } else if config.accept && settings.get("Socket", "Service").is_some() {
        Some("Explicit service configuration for accepting socket units not supported. Refusing.")
    } else {
        None
    };
    if let Some(message) = refuse {
        crate::unit::validate::refuse(unit, message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::syntax;

    fn parsed(text: &str) -> (SocketConfig, Vec<String>) {
        let (entries, _) = syntax::parse(text, std::path::Path::new("/t.socket"));
        let (c, d) = parse(&Settings { entries }, &|s| s.to_string(), true);
        (c, d.iter().map(|d| d.to_string()).collect())
    }

    #[test]
    fn listens_accumulate_and_reset() {
        let (c, d) = parsed(
            "[Socket]\nListenStream=80\nListenStream=\nListenStream=127.0.0.1:7\nListenDatagram=@x\nListenFIFO=/run/f\nSocketMode=0600\nBacklog=5\nFileDescriptorName=web\nBindIPv6Only=yes\n",
        );
        assert!(d.is_empty(), "{d:?}");
        let texts: Vec<_> = c.listens.iter().map(|l| l.address_text()).collect();
        assert_eq!(texts, ["127.0.0.1:7", "@x", "/run/f"]);
        assert_eq!(c.listens[2].kind, ListenKind::Fifo);
        assert_eq!((c.socket_mode, c.backlog), (0o600, 5));
        assert_eq!(c.fd_name, "web");
        assert_eq!(c.bind_ipv6_only, BindIpv6Only::Ipv6Only);
    }

    #[test]
    fn bad_values_warn() {
        let (c, d) = parsed(
            "[Socket]\nListenStream=nonsense\nListenFIFO=rel\nAccept=maybe\nSocketMode=999\nFileDescriptorName=a:b\nBacklog=x\nReceiveBuffer=y\nListenNetlink=route\n",
        );
        assert_eq!(
            d,
            [
                "/t.socket:2: Failed to parse address value in 'nonsense', ignoring: Invalid argument",
                "/t.socket:3: ListenFIFO= path is not absolute, ignoring: rel",
                "/t.socket:4: Failed to parse boolean value, ignoring: maybe",
                "/t.socket:5: Failed to parse mode value, ignoring: 999",
                "/t.socket:6: Invalid file descriptor name, ignoring: a:b",
                "/t.socket:7: Failed to parse unsigned value, ignoring: x",
                "/t.socket:8: Failed to parse size value 'y', ignoring: Invalid argument",
            ]
        );
        assert!(c.listens.is_empty());
        // ListenNetlink= is a listen setting to 252: the socket loads (not opened here).
        let (entries, _) = crate::unit::syntax::parse(
            "[Socket]\nListenNetlink=route 1361\n",
            std::path::Path::new("/n.socket"),
        );
        let mut unit =
            Unit::loaded_with(crate::unit::UnitName::parse("n.socket").unwrap(), entries);
        verify(&mut unit);
        assert!(unit.is_loaded(), "{:?}", unit.load_error);
    }
}
