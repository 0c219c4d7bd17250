//! A `.timer` unit's `[Timer]` section as systemd 252 reads it (`config_parse_timer()` and
//! friends in load-fragment.c): the timer values (`OnActiveSec=` … `OnCalendar=`, several of
//! each, an empty assignment of any of them resets them all), `AccuracySec=`,
//! `RandomizedDelaySec=`, the booleans, and `Unit=`. Bad values are warned about with
//! systemd's words and ignored; a timer left without any value is refused.

use crate::scope::Scope;
use crate::time::{parse_calendar, parse_sec, CalendarSpec, TimeZone, USEC_PER_MINUTE};
use crate::unit::deps::{self, Dep};
use crate::unit::syntax::Diagnostic;
use crate::unit::value::parse_bool;
use crate::unit::{Settings, Unit, UnitName};

/// What a monotonic value counts from, or a calendar event (systemd's `TimerBase`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerBase {
    Active,
    Boot,
    Startup,
    UnitActive,
    UnitInactive,
    Calendar,
}

impl TimerBase {
    pub const ALL: [TimerBase; 6] = [
        TimerBase::Active,
        TimerBase::Boot,
        TimerBase::Startup,
        TimerBase::UnitActive,
        TimerBase::UnitInactive,
        TimerBase::Calendar,
    ];

    /// The unit file key (`OnActiveSec`).
    pub fn key(self) -> &'static str {
        match self {
            TimerBase::Active => "OnActiveSec",
            TimerBase::Boot => "OnBootSec",
            TimerBase::Startup => "OnStartupSec",
            TimerBase::UnitActive => "OnUnitActiveSec",
            TimerBase::UnitInactive => "OnUnitInactiveSec",
            TimerBase::Calendar => "OnCalendar",
        }
    }

    /// The name in `TimersMonotonic=`/`TimersCalendar=` (`timer_base_to_usec_string()`).
    pub fn property(self) -> &'static str {
        match self {
            TimerBase::Active => "OnActiveUSec",
            TimerBase::Boot => "OnBootUSec",
            TimerBase::Startup => "OnStartupUSec",
            TimerBase::UnitActive => "OnUnitActiveUSec",
            TimerBase::UnitInactive => "OnUnitInactiveUSec",
            TimerBase::Calendar => "OnCalendar",
        }
    }

    pub fn from_key(key: &str) -> Option<TimerBase> {
        TimerBase::ALL.into_iter().find(|b| b.key() == key)
    }

    /// Values that fire once per activation (`OnActiveSec=`, `OnBootSec=`, `OnStartupSec=`).
    pub fn is_one_shot(self) -> bool {
        matches!(
            self,
            TimerBase::Active | TimerBase::Boot | TimerBase::Startup
        )
    }
}

/// One timer value: a span after its base, or a calendar event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimerValue {
    pub base: TimerBase,
    /// µs after the base (monotonic values).
    pub usec: u64,
    pub calendar: Option<CalendarSpec>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimerConfig {
    /// In file order (systemd prints them newest first).
    pub values: Vec<TimerValue>,
    /// `AccuracySec=`, default 1min.
    pub accuracy: u64,
    pub randomized_delay: u64,
    pub fixed_random_delay: bool,
    pub persistent: bool,
    pub wake_system: bool,
    pub remain_after_elapse: bool,
    pub on_clock_change: bool,
    pub on_timezone_change: bool,
    /// The unit to start: `Unit=`, else the same-named service.
    pub unit: String,
}

impl Default for TimerConfig {
    fn default() -> Self {
        TimerConfig {
            values: Vec::new(),
            accuracy: USEC_PER_MINUTE,
            randomized_delay: 0,
            fixed_random_delay: false,
            persistent: false,
            wake_system: false,
            remain_after_elapse: true,
            on_clock_change: false,
            on_timezone_change: false,
            unit: String::new(),
        }
    }
}

/// systemd's refusal of a timer without values (`timer_verify()`).
pub const LACKS_VALUE: &str = "Timer unit lacks value setting. Refusing.";

impl TimerConfig {
    /// The configuration of a loaded timer unit, specifiers resolved for `scope`.
    pub fn from_unit(unit: &Unit, scope: &Scope) -> (TimerConfig, Vec<Diagnostic>) {
        let expand = |raw: &str| deps::specifiers(unit, scope, raw);
        let (mut config, diagnostics) = parse(&unit.settings, &expand, TimeZone::local());
        config.unit = deps::declared_of(unit, scope, Dep::Triggers)
            .into_iter()
            .next()
            .unwrap_or_else(|| format!("{}.service", unit.id.stem()));
        (config, diagnostics)
    }

    /// Whether the timer has something to wait for (else `timer_verify()` refuses it).
    pub fn has_values(&self) -> bool {
        !self.values.is_empty() || self.on_clock_change || self.on_timezone_change
    }

    pub fn has_calendar(&self) -> bool {
        self.values.iter().any(|v| v.base == TimerBase::Calendar)
    }
}

/// Parses the `[Timer]` section; `expand` resolves specifiers of timer values.
pub fn parse(
    settings: &Settings,
    expand: &dyn Fn(&str) -> String,
    local: &TimeZone,
) -> (TimerConfig, Vec<Diagnostic>) {
    let mut config = TimerConfig::default();
    let mut diagnostics = Vec::new();
    for e in settings.entries.iter().filter(|e| e.section == "Timer") {
        let mut warn = |message: String| diagnostics.push(Diagnostic::at(e, message));
        let value = e.value.as_str();
        let boolean = |warn: &mut dyn FnMut(String), field: &mut bool, default: bool| {
            if value.is_empty() {
                *field = default;
            } else if let Some(b) = parse_bool(value) {
                *field = b;
            } else {
                warn(format!("Failed to parse boolean value, ignoring: {value}"));
            }
        };
        let sec = |warn: &mut dyn FnMut(String), field: &mut u64, default: u64| {
            if value.is_empty() {
                *field = default;
                return;
            }
            match parse_sec(value) {
                Ok(v) => *field = v,
                Err(_) => warn(format!("Failed to parse sec value, ignoring: {value}")),
            }
        };
        if let Some(base) = TimerBase::from_key(&e.key) {
            if value.is_empty() {
                config.values.clear();
                continue;
            }
            let text = expand(value);
            if base == TimerBase::Calendar {
                match parse_calendar(&text, local) {
                    Ok(spec) => config.values.push(TimerValue {
                        base,
                        usec: 0,
                        calendar: Some(spec),
                    }),
                    Err(_) => warn(format!(
                        "Failed to parse calendar specification, ignoring: {text}"
                    )),
                }
            } else {
                match parse_sec(&text) {
                    Ok(usec) => config.values.push(TimerValue {
                        base,
                        usec,
                        calendar: None,
                    }),
                    Err(_) => warn(format!("Failed to parse timer value, ignoring: {text}")),
                }
            }
            continue;
        }
        match e.key.as_str() {
            "AccuracySec" => sec(&mut warn, &mut config.accuracy, USEC_PER_MINUTE),
            "RandomizedDelaySec" => sec(&mut warn, &mut config.randomized_delay, 0),
            "FixedRandomDelay" => boolean(&mut warn, &mut config.fixed_random_delay, false),
            "Persistent" => boolean(&mut warn, &mut config.persistent, false),
            "WakeSystem" => boolean(&mut warn, &mut config.wake_system, false),
            "RemainAfterElapse" => boolean(&mut warn, &mut config.remain_after_elapse, true),
            "OnClockChange" => boolean(&mut warn, &mut config.on_clock_change, false),
            "OnTimezoneChange" => boolean(&mut warn, &mut config.on_timezone_change, false),
            "Unit" if !value.is_empty() => {
                let valid = UnitName::parse(value).is_ok_and(|n| !n.unit_type().is_empty());
                if !valid {
                    warn(format!("Unit type not valid, ignoring: {value}"));
                }
            }
            _ => {}
        }
    }
    (config, diagnostics)
}

/// Load-time checks of a timer unit (no scope: specifiers stay as written, so a value
/// with one is counted but not judged): warnings about bad values, and `bad-setting`
/// for a timer without any value.
pub fn verify(unit: &mut Unit) {
    let settings = unit.settings.clone();
    let (config, diagnostics) = parse(&settings, &|s| s.to_string(), TimeZone::local());
    let with_specifiers = |d: &Diagnostic| {
        settings
            .entries
            .iter()
            .any(|e| e.line == d.line && *e.file == d.file && e.value.contains('%'))
    };
    let specified = diagnostics.iter().filter(|d| with_specifiers(d)).count();
    unit.diagnostics
        .extend(diagnostics.into_iter().filter(|d| !with_specifiers(d)));
    if !config.has_values() && specified == 0 {
        unit.load_state = crate::unit::LoadState::BadSetting;
        unit.load_error = Some(LACKS_VALUE.to_string());
        unit.diagnostics.push(Diagnostic {
            file: std::path::PathBuf::from(unit.id.as_str()),
            line: 0,
            message: LACKS_VALUE.to_string(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::syntax;

    fn parsed(text: &str) -> (TimerConfig, Vec<String>) {
        let (entries, _) = syntax::parse(text, std::path::Path::new("/t.timer"));
        let (c, d) = parse(&Settings { entries }, &|s| s.to_string(), &TimeZone::utc());
        (c, d.iter().map(|d| d.to_string()).collect())
    }

    #[test]
    fn values_accumulate_and_an_empty_assignment_resets_them_all() {
        let (c, d) = parsed(
            "[Timer]\nOnActiveSec=5\nOnCalendar=daily\nOnUnitActiveSec=1h 30min\nOnBootSec=\nOnStartupSec=2min\nOnCalendar=Mon *-*-* 10:00\n",
        );
        assert!(d.is_empty(), "{d:?}");
        let bases: Vec<_> = c.values.iter().map(|v| (v.base, v.usec)).collect();
        assert_eq!(
            bases,
            [(TimerBase::Startup, 120_000_000), (TimerBase::Calendar, 0)]
        );
        assert_eq!(c.accuracy, USEC_PER_MINUTE);
        assert!(c.remain_after_elapse && !c.persistent);
    }

    #[test]
    fn bad_values_warn_as_systemd_analyze_verify_does() {
        let (c, d) = parsed(
            "[Timer]\nOnActiveSec=bogus\nOnCalendar=nonsense\nAccuracySec=xx\nPersistent=maybe\nRandomizedDelaySec=-1\nUnit=foo\nAccuracySec=1us\nRemainAfterElapse=no\n",
        );
        assert_eq!(
            d,
            [
                "/t.timer:2: Failed to parse timer value, ignoring: bogus",
                "/t.timer:3: Failed to parse calendar specification, ignoring: nonsense",
                "/t.timer:4: Failed to parse sec value, ignoring: xx",
                "/t.timer:5: Failed to parse boolean value, ignoring: maybe",
                "/t.timer:6: Failed to parse sec value, ignoring: -1",
                "/t.timer:7: Unit type not valid, ignoring: foo",
            ]
        );
        assert!(!c.has_values());
        assert_eq!(c.accuracy, 1);
        assert!(!c.remain_after_elapse);
    }
}
