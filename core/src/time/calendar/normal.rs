//! The normalised form systemd prints (`calendar_spec_to_string()`):
//! `Mon..Fri *-*-* 08:00:00`, `*-*~03 00:00:00`, `*-*-* *:*:00/2.500000 UTC`.

use super::{CalendarSpec, Chain, USEC_PER_SEC};
use crate::time::tz::TimeZone;

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

fn format_weekdays(bits: u8, out: &mut String) {
    let mut need_comma = false;
    let mut run_start: Option<usize> = None;
    let close = |out: &mut String, l: usize, x: usize| {
        if x > l + 1 {
            out.push_str(if x > l + 2 { ".." } else { "," });
            out.push_str(DAYS[x - 1]);
        }
    };
    for (x, day) in DAYS.iter().enumerate() {
        if bits & (1 << x) != 0 {
            if run_start.is_none() {
                if need_comma {
                    out.push(',');
                }
                need_comma = true;
                out.push_str(day);
                run_start = Some(x);
            }
        } else if let Some(l) = run_start.take() {
            close(out, l, x);
        }
    }
    if let Some(l) = run_start {
        close(out, l, DAYS.len());
    }
}

fn format_chain(chain: &Chain, width: usize, usec: bool, out: &mut String) {
    let d = if usec { USEC_PER_SEC } else { 1 };
    let Some(list) = chain else {
        out.push('*');
        return;
    };
    if usec
        && list.len() == 1
        && list[0].start == 0
        && list[0].stop < 0
        && list[0].repeat == USEC_PER_SEC
    {
        out.push('*');
        return;
    }
    for (i, c) in list.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!("{:0width$}", c.start / d));
        if c.start % d > 0 {
            out.push_str(&format!(".{:06}", c.start % d));
        }
        if c.stop > 0 {
            out.push_str(&format!("..{:0width$}", c.stop / d));
        }
        if c.stop > 0 && c.stop % d > 0 {
            out.push_str(&format!(".{:06}", c.stop % d));
        }
        if c.repeat > 0 && !(c.stop > 0 && c.repeat == d) {
            out.push_str(&format!("/{}", c.repeat / d));
        }
        if c.repeat % d > 0 {
            out.push_str(&format!(".{:06}", c.repeat % d));
        }
    }
}

impl CalendarSpec {
    /// The normalised form; `local` names the zone for an explicit standard/daylight name.
    pub fn to_normal_string(&self, local: &TimeZone) -> String {
        let mut out = String::new();
        if let Some(bits) = self.weekdays {
            format_weekdays(bits, &mut out);
            out.push(' ');
        }
        format_chain(&self.year, 4, false, &mut out);
        out.push('-');
        format_chain(&self.month, 2, false, &mut out);
        out.push(if self.end_of_month { '~' } else { '-' });
        format_chain(&self.day, 2, false, &mut out);
        out.push(' ');
        format_chain(&self.hour, 2, false, &mut out);
        out.push(':');
        format_chain(&self.minute, 2, false, &mut out);
        out.push(':');
        format_chain(&self.microsecond, 2, true, &mut out);
        if self.utc {
            out.push_str(" UTC");
        } else if let Some(zone) = &self.timezone {
            out.push(' ');
            out.push_str(zone);
        } else if let Some(j) = self.dst {
            let (std, dst) = local.standard_and_daylight();
            let name = if j == 0 { std } else { dst };
            if !name.abbrev.is_empty() {
                out.push(' ');
                out.push_str(&name.abbrev);
            }
        }
        out
    }
}
