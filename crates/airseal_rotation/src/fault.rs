//! Stopping a rotation at a chosen step, for the crash tests (cargo feature
//! `fault-injection`; without it every call is a no-op the compiler removes).
//!
//! `AIRSEAL_ROTATE_FAULT=<before|after>:<step>:<exit|kill>`, where step is `put-pending`,
//! `set-password`, `promote` or `record`: `exit` ends the process with status 70 at that point,
//! `kill` sends it SIGKILL (no destructor, no flush: what a crashed host or an OOM kill does).

/// The steps of a rotation, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    PutPending,
    SetPassword,
    Promote,
    Record,
}

impl Step {
    pub fn name(self) -> &'static str {
        match self {
            Step::PutPending => "put-pending",
            Step::SetPassword => "set-password",
            Step::Promote => "promote",
            Step::Record => "record",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Before,
    After,
}

#[cfg(feature = "fault-injection")]
pub fn point(when: When, step: Step) {
    let Ok(spec) = std::env::var("AIRSEAL_ROTATE_FAULT") else {
        return;
    };
    let mut parts = spec.split(':');
    let (Some(at), Some(name), Some(how)) = (parts.next(), parts.next(), parts.next()) else {
        return;
    };
    let at_matches = matches!(
        (at, when),
        ("before", When::Before) | ("after", When::After)
    );
    if !at_matches || name != step.name() {
        return;
    }
    if how == "kill" {
        let pid = std::process::id().to_string();
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &pid])
            .status();
        std::thread::sleep(std::time::Duration::from_secs(30));
    }
    std::process::exit(70);
}

#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub fn point(_when: When, _step: Step) {}
