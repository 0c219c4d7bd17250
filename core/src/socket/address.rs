//! What a `Listen*=` line names, as 252's `socket_address_parse()` reads it and
//! `socket_address_print()` writes it (`list-sockets`, `status`'s `Listen:`, `show`'s
//! `Listen=`): unix paths, abstract `@names`, `a.b.c.d:port`, `[v6]:port` and a bare port
//! (IPv6 with dual stack, or IPv4 where the kernel has no IPv6).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;

/// The socket type of a `Listen*=` setting, with 252's `socket_port_type_to_string()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenKind {
    Stream,
    Datagram,
    SequentialPacket,
    Fifo,
    Special,
}

impl ListenKind {
    pub fn from_key(key: &str) -> Option<ListenKind> {
        Some(match key {
            "ListenStream" => ListenKind::Stream,
            "ListenDatagram" => ListenKind::Datagram,
            "ListenSequentialPacket" => ListenKind::SequentialPacket,
            "ListenFIFO" => ListenKind::Fifo,
            "ListenSpecial" => ListenKind::Special,
            _ => return None,
        })
    }

    /// The word in parentheses of `Listen=` and the TYPE column of `list-sockets`.
    pub fn type_name(self) -> &'static str {
        match self {
            ListenKind::Stream => "Stream",
            ListenKind::Datagram => "Datagram",
            ListenKind::SequentialPacket => "SequentialPacket",
            ListenKind::Fifo => "FIFO",
            ListenKind::Special => "Special",
        }
    }

    /// `SOCK_STREAM` … for the socket kinds.
    pub fn sock_type(self) -> Option<nix::sys::socket::SockType> {
        use nix::sys::socket::SockType;
        match self {
            ListenKind::Stream => Some(SockType::Stream),
            ListenKind::Datagram => Some(SockType::Datagram),
            ListenKind::SequentialPacket => Some(SockType::SeqPacket),
            ListenKind::Fifo | ListenKind::Special => None,
        }
    }
}

/// Where a socket binds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindAddress {
    Inet(SocketAddr),
    Unix(PathBuf),
    /// Without the leading NUL.
    Abstract(Vec<u8>),
}

/// One `Listen*=` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listen {
    pub kind: ListenKind,
    /// For FIFO and Special: the path.
    pub address: BindAddress,
}

impl Listen {
    /// `socket_address_print()`: `127.0.0.1:80`, `[::]:80`, `/run/x.sock`, `@name`.
    pub fn address_text(&self) -> String {
        match &self.address {
            BindAddress::Inet(SocketAddr::V4(a)) => format!("{}:{}", a.ip(), a.port()),
            BindAddress::Inet(SocketAddr::V6(a)) => format!("[{}]:{}", a.ip(), a.port()),
            BindAddress::Unix(p) => p.display().to_string(),
            BindAddress::Abstract(name) => format!("@{}", String::from_utf8_lossy(name)),
        }
    }

    /// The file the listener creates (unix sockets, FIFOs, special files).
    pub fn path(&self) -> Option<&std::path::Path> {
        match &self.address {
            BindAddress::Unix(p) => Some(p),
            _ => None,
        }
    }
}

/// `sizeof(sun_path)` minus the NUL.
const UNIX_PATH_MAX: usize = 107;

/// Whether the kernel has IPv6 (`socket_ipv6_is_supported()`).
pub fn ipv6_supported() -> bool {
    std::path::Path::new("/proc/net/if_inet6").exists()
}

/// `socket_address_parse()` for the socket kinds; `Err` is the errno word of 252's warning.
pub fn parse_socket(s: &str, ipv6: bool) -> Result<BindAddress, &'static str> {
    const EINVAL: &str = "Invalid argument";
    if let Some(rest) = s.strip_prefix('@') {
        if rest.is_empty() || rest.len() > UNIX_PATH_MAX {
            return Err(EINVAL);
        }
        return Ok(BindAddress::Abstract(rest.as_bytes().to_vec()));
    }
    if s.starts_with('/') {
        if s.len() > UNIX_PATH_MAX {
            return Err(EINVAL);
        }
        return Ok(BindAddress::Unix(PathBuf::from(s)));
    }
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or(EINVAL)?;
        let port = parse_port(after.strip_prefix(':').ok_or(EINVAL)?)?;
        let ip: Ipv6Addr = host.parse().map_err(|_| EINVAL)?;
        return Ok(BindAddress::Inet(SocketAddr::new(IpAddr::V6(ip), port)));
    }
    if let Some((host, port)) = s.rsplit_once(':') {
        let port = parse_port(port)?;
        let ip: Ipv4Addr = host.parse().map_err(|_| EINVAL)?;
        return Ok(BindAddress::Inet(SocketAddr::new(IpAddr::V4(ip), port)));
    }
    let port = parse_port(s)?;
    let ip = if ipv6 {
        IpAddr::V6(Ipv6Addr::UNSPECIFIED)
    } else {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    };
    Ok(BindAddress::Inet(SocketAddr::new(ip, port)))
}

/// `parse_ip_port()`: 1–65535.
fn parse_port(s: &str) -> Result<u16, &'static str> {
    match s.parse::<u16>() {
        Ok(0) | Err(_) => Err("Invalid argument"),
        Ok(p) => Ok(p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(kind: ListenKind, s: &str, ipv6: bool) -> String {
        Listen {
            kind,
            address: parse_socket(s, ipv6).unwrap(),
        }
        .address_text()
    }

    #[test]
    fn addresses_print_as_252() {
        assert_eq!(
            text(ListenKind::Stream, "127.0.0.1:7777", true),
            "127.0.0.1:7777"
        );
        assert_eq!(text(ListenKind::Stream, "8888", true), "[::]:8888");
        assert_eq!(text(ListenKind::Stream, "8888", false), "0.0.0.0:8888");
        assert_eq!(text(ListenKind::Stream, "[::1]:22", true), "[::1]:22");
        assert_eq!(text(ListenKind::Datagram, "@abs", true), "@abs");
        assert_eq!(text(ListenKind::Stream, "/run/x.sock", true), "/run/x.sock");
        for bad in ["0", "70000", "x:1", "[::1]", "1.2.3.4:", "@", "hello"] {
            assert!(parse_socket(bad, true).is_err(), "{bad}");
        }
        assert!(parse_socket(&format!("/{}", "a".repeat(107)), true).is_err());
    }
}
