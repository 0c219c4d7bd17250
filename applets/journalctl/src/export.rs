//! `-o export`: the Journal Export Format (systemd's JOURNAL_EXPORT_FORMATS), as 252's
//! `output_export()` writes it — `__CURSOR=`, `__REALTIME_TIMESTAMP=`,
//! `__MONOTONIC_TIMESTAMP=`, `_BOOT_ID=` first, then every field (all of it: no data
//! threshold), `NAME=value` when the value is printable UTF-8 without a newline
//! (`utf8_is_printable_newline(…, false)`), otherwise the binary-safe form `NAME`, newline,
//! the value's length as little-endian 64 bits, the value; each field ends with a newline,
//! and the entry with an empty line.

use crate::output::{cursor, fields, Style};
use std::io::{self, Write};
use unitbox_core::journal::format::is_printable;
use unitbox_core::journal::record::Record;

/// Whether 252 writes `NAME=value` as it is (else the length-prefixed form).
fn plain(value: &[u8]) -> bool {
    !value.contains(&b'\n') && is_printable(value)
}

/// One field in export form.
pub fn write_field(out: &mut impl Write, name: &str, value: &[u8]) -> io::Result<()> {
    out.write_all(name.as_bytes())?;
    if plain(value) {
        out.write_all(b"=")?;
    } else {
        out.write_all(b"\n")?;
        out.write_all(&(value.len() as u64).to_le_bytes())?;
    }
    out.write_all(value)?;
    out.write_all(b"\n")
}

/// One entry.
pub fn write_entry(out: &mut impl Write, r: &Record, style: &Style) -> io::Result<()> {
    let mut entry = Vec::with_capacity(512 + r.message.len());
    write!(
        entry,
        "__CURSOR={}\n__REALTIME_TIMESTAMP={}\n__MONOTONIC_TIMESTAMP={}\n_BOOT_ID={}\n",
        cursor(r, style),
        r.realtime,
        r.monotonic,
        r.boot_id
    )?;
    for (name, value) in fields(r, style) {
        if name != "_BOOT_ID" && style.shows(&name) {
            write_field(&mut entry, &name, &value)?;
        }
    }
    entry.push(b'\n');
    out.write_all(&entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_plain_and_binary_safe() {
        let mut out = Vec::new();
        write_field(&mut out, "MESSAGE", b"hello world\tand tab").unwrap();
        write_field(&mut out, "DETAIL", b"two\nlines").unwrap();
        write_field(&mut out, "BIN", b"\x01\xff").unwrap();
        write_field(&mut out, "EMPTY", b"").unwrap();
        assert_eq!(
            out,
            b"MESSAGE=hello world\tand tab\n\
              DETAIL\n\x09\0\0\0\0\0\0\0two\nlines\n\
              BIN\n\x02\0\0\0\0\0\0\0\x01\xff\n\
              EMPTY=\n"
        );
    }
}
