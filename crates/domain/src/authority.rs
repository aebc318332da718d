//! Authority to initial and sign a document: the position tree, delegations
//! (*a.n.*, *u.b.*, *Plt.*, *Plh.*) and the signature block they print.
//!
//! A kind of document is signed under the authority of a head position
//! (the required signer). Someone else signs only through a delegation in
//! force on the signing day in WIB. An *a.n.* reaches one level down and a
//! *u.b.* one more level after an *a.n.*. A *Plt.* acts for a vacant post
//! (at most one year) and a *Plh.* replaces an absent holder (at most three
//! months). The author of a draft never initials or signs it.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use time::{Date, Month};

use crate::directory::{Organization, OrganizationKind, Position};
use crate::document::{SignerLevel, labels};
use crate::{DelegationId, EmployeeId, OrganizationId, PositionId};

labels!(
    /// Form of a delegation.
    DelegationKind {
        /// *Atas nama*: a direct subordinate position signs for the head.
        OnBehalf = "an",
        /// *Untuk beliau*: one level below an *a.n.* delegate, only after it.
        UnderAuthority = "ub",
        /// *Pelaksana Tugas*: acts while the post has no definitive holder.
        Acting = "plt",
        /// *Pelaksana Harian*: replaces the holder while they are away.
        StandIn = "plh",
    }
);

impl DelegationKind {
    /// Returns the prefix printed in the signature block.
    pub fn prefix(&self) -> &'static str {
        match self {
            DelegationKind::OnBehalf => "a.n.",
            DelegationKind::UnderAuthority => "u.b.",
            DelegationKind::Acting => "Plt.",
            DelegationKind::StandIn => "Plh.",
        }
    }

    /// Returns the maximum period in months, for Plt. and Plh.
    pub fn max_months(&self) -> Option<u32> {
        match self {
            DelegationKind::Acting => Some(12),
            DelegationKind::StandIn => Some(3),
            _ => None,
        }
    }
}

/// A delegation of signing authority, appointed by a decree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delegation {
    pub id: DelegationId,
    pub kind: DelegationKind,
    /// The position whose authority is delegated. For *u.b.* this is the
    /// *a.n.* delegate's position.
    pub principal_id: PositionId,
    /// *a.n.* and *u.b.*: the position that signs for the principal.
    pub delegate_position_id: Option<PositionId>,
    /// *Plt.* and *Plh.*: the person who acts as the principal.
    pub delegate_employee_id: Option<EmployeeId>,
    /// *u.b.* only: the *a.n.* delegation it continues.
    pub via_id: Option<DelegationId>,
    /// Number of the appointing decree (*SK*).
    pub decree_number: String,
    /// First day in force (WIB).
    pub starts_on: Date,
    /// Last day in force (WIB); from 00:00 WIB of the next day it no
    /// longer works.
    pub ends_on: Date,
}

impl Delegation {
    /// Checks whether the delegation is in force on `day`, a WIB date.
    pub fn in_force_on(&self, day: Date) -> bool {
        self.starts_on <= day && day <= self.ends_on
    }
}

/// Raw delegation input.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct DelegationInput {
    pub kind: String,
    pub principal_id: Option<PositionId>,
    pub delegate_position_id: Option<PositionId>,
    pub delegate_employee_id: Option<EmployeeId>,
    pub via_id: Option<DelegationId>,
    pub decree_number: String,
    pub starts_on: Option<Date>,
    pub ends_on: Option<Date>,
}

/// A delegation that cannot be recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DelegationError {
    #[error("{field} is required")]
    Required { field: &'static str },
    #[error("{field} is longer than {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("unknown delegation kind {0:?}; expected an, ub, plt or plh")]
    Kind(String),
    #[error("the period ends before it starts")]
    Period,
    #[error("a {} lasts at most {months} months", kind.prefix())]
    PeriodTooLong { kind: DelegationKind, months: u32 },
    #[error("a.n. and u.b. name a delegate position; Plt. and Plh. name a delegate person")]
    DelegateShape,
    #[error("an a.n. or u.b. delegate must report directly to the principal position")]
    NotDirectSubordinate,
    #[error("u.b. is only possible after an a.n. to the principal position")]
    UnderAuthorityWithoutOnBehalf,
    #[error("the post has a definitive holder; appoint a Plh. instead of a Plt.")]
    PostFilled,
    #[error("the post is vacant; appoint a Plt. instead of a Plh.")]
    PostVacant,
    #[error("the holder of a post cannot stand in for themselves")]
    SelfDelegation,
}

impl DelegationError {
    pub fn field(&self) -> &'static str {
        match self {
            DelegationError::Required { field } | DelegationError::TooLong { field, .. } => field,
            DelegationError::Kind(_) => "kind",
            DelegationError::Period | DelegationError::PeriodTooLong { .. } => "ends_on",
            DelegationError::UnderAuthorityWithoutOnBehalf => "via_id",
            DelegationError::PostFilled | DelegationError::PostVacant => "principal_id",
            _ => "delegate",
        }
    }
}

/// Returns `date` moved by `months` calendar months, clamped to the end of
/// a shorter month (31 January + 1 month = 28 or 29 February).
pub fn add_months(date: Date, months: u32) -> Date {
    let index = date.year() * 12 + i32::from(u8::from(date.month())) - 1 + months as i32;
    let year = index.div_euclid(12);
    let month = Month::try_from(u8::try_from(index.rem_euclid(12) + 1).unwrap_or(1))
        .unwrap_or(Month::January);
    let last = time::util::days_in_month(month, year);
    Date::from_calendar_date(year, month, date.day().min(last)).unwrap_or(date)
}

impl DelegationInput {
    /// Checks the input on its own; `check_delegation` checks it against
    /// the position tree.
    pub fn validate(&self) -> Result<Delegation, DelegationError> {
        let kind: DelegationKind = match self.kind.trim() {
            "" => return Err(DelegationError::Required { field: "kind" }),
            k => k.parse().map_err(|_| DelegationError::Kind(k.to_owned()))?,
        };
        let principal_id = self.principal_id.ok_or(DelegationError::Required {
            field: "principal_id",
        })?;
        let decree_number = self.decree_number.trim();
        if decree_number.is_empty() {
            return Err(DelegationError::Required {
                field: "decree_number",
            });
        }
        if decree_number.chars().count() > 100 || decree_number.chars().any(char::is_control) {
            return Err(DelegationError::TooLong {
                field: "decree_number",
                max: 100,
            });
        }
        let starts_on = self
            .starts_on
            .ok_or(DelegationError::Required { field: "starts_on" })?;
        let ends_on = self
            .ends_on
            .ok_or(DelegationError::Required { field: "ends_on" })?;
        if ends_on < starts_on {
            return Err(DelegationError::Period);
        }
        if let Some(months) = kind.max_months()
            && ends_on >= add_months(starts_on, months)
        {
            return Err(DelegationError::PeriodTooLong { kind, months });
        }
        let by_position = matches!(
            kind,
            DelegationKind::OnBehalf | DelegationKind::UnderAuthority
        );
        let shape_ok = if by_position {
            self.delegate_position_id.is_some() && self.delegate_employee_id.is_none()
        } else {
            self.delegate_employee_id.is_some() && self.delegate_position_id.is_none()
        };
        if !shape_ok {
            return Err(DelegationError::DelegateShape);
        }
        if kind == DelegationKind::UnderAuthority && self.via_id.is_none() {
            return Err(DelegationError::UnderAuthorityWithoutOnBehalf);
        }
        if self.delegate_position_id == Some(principal_id) {
            return Err(DelegationError::NotDirectSubordinate);
        }
        Ok(Delegation {
            id: DelegationId::new(),
            kind,
            principal_id,
            delegate_position_id: self.delegate_position_id,
            delegate_employee_id: self.delegate_employee_id,
            via_id: if kind == DelegationKind::UnderAuthority {
                self.via_id
            } else {
                None
            },
            decree_number: decree_number.to_owned(),
            starts_on,
            ends_on,
        })
    }
}

/// Reason a person may not initial or sign.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorityError {
    #[error("no head position found for this kind's signing level")]
    NoRequiredSigner,
    #[error("position {signer:?} has no authority to sign for {required:?}")]
    NoAuthority { signer: String, required: String },
    #[error("delegation {decree} is not in force: it runs from {starts_on} to {ends_on}")]
    NotInForce {
        decree: String,
        starts_on: Date,
        ends_on: Date,
    },
    #[error("u.b. is only possible after an a.n. to the principal position")]
    UnderAuthorityWithoutOnBehalf,
    #[error("the author of a draft cannot sign it")]
    AuthorIsSigner,
    #[error("the author of a draft cannot initial it")]
    AuthorInChain,
    #[error("you neither hold nor act for position {0:?}")]
    NotActing(String),
    #[error("position {0:?} appears twice in the initials chain")]
    ChainRepeats(String),
    #[error("the signer cannot also initial the draft")]
    SignerInChain,
    #[error("position {0:?} has no holder and no Plt. or Plh. to act for it")]
    VacantPost(String),
}

/// Relation of the signer to the position whose authority the kind needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "route", rename_all = "snake_case")]
pub enum Route {
    /// The required position signs itself.
    Direct,
    /// *a.n.* the principal.
    OnBehalf { principal_id: PositionId },
    /// *a.n.* the principal, by `middle_id`, *u.b.* by the signer.
    UnderAuthority {
        principal_id: PositionId,
        middle_id: PositionId,
    },
}

/// Someone entitled to act as a position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Actor {
    pub employee_id: EmployeeId,
    /// `None` for the definitive holder, else Plt. or Plh.
    pub acting: Option<DelegationKind>,
}

/// A snapshot of organisations, positions and delegations, against which
/// authority is decided.
#[derive(Clone, Debug, Default)]
pub struct Chart {
    orgs: HashMap<OrganizationId, Organization>,
    positions: HashMap<PositionId, Position>,
    delegations: Vec<Delegation>,
}

impl Chart {
    pub fn new(
        orgs: Vec<Organization>,
        positions: Vec<Position>,
        delegations: Vec<Delegation>,
    ) -> Chart {
        Chart {
            orgs: orgs.into_iter().map(|o| (o.id, o)).collect(),
            positions: positions.into_iter().map(|p| (p.id, p)).collect(),
            delegations,
        }
    }

    pub fn position(&self, id: PositionId) -> Option<&Position> {
        self.positions.get(&id)
    }

    pub fn organization(&self, id: OrganizationId) -> Option<&Organization> {
        self.orgs.get(&id)
    }

    fn name(&self, id: PositionId) -> String {
        self.positions
            .get(&id)
            .map_or_else(|| id.to_string(), |p| p.name.clone())
    }

    /// Returns the head position of an organisation: the one whose superior
    /// is outside it (or absent). Ties go to the oldest position.
    pub fn head_of(&self, org: OrganizationId) -> Option<PositionId> {
        self.positions
            .values()
            .filter(|p| p.organization_id == org)
            .filter(|p| {
                p.parent_id
                    .and_then(|parent| self.positions.get(&parent))
                    .is_none_or(|parent| parent.organization_id != org)
            })
            .map(|p| p.id)
            .min()
    }

    /// Returns the position whose authority a kind at `level` needs, for an
    /// author working in `org`.
    pub fn required_signer(&self, org: OrganizationId, level: SignerLevel) -> Option<PositionId> {
        let mut current = self.orgs.get(&org);
        while let Some(o) = current {
            let matches_level = match level {
                SignerLevel::Regent => o.kind == OrganizationKind::Regency,
                SignerLevel::AgencyHead => matches!(
                    o.kind,
                    OrganizationKind::Agency
                        | OrganizationKind::District
                        | OrganizationKind::Village
                        | OrganizationKind::UrbanVillage
                ),
                SignerLevel::UnitHead => true,
            };
            if matches_level && let Some(head) = self.head_of(o.id) {
                return Some(head);
            }
            current = o.parent_id.and_then(|p| self.orgs.get(&p));
        }
        None
    }

    /// Returns the default initials chain: the author's superiors in order,
    /// up to (not including) the signer, at most three.
    pub fn default_reviewers(
        &self,
        author_position: PositionId,
        signer: PositionId,
    ) -> Vec<PositionId> {
        let mut chain = Vec::new();
        let mut current = self
            .positions
            .get(&author_position)
            .and_then(|p| p.parent_id);
        while let Some(id) = current {
            if id == signer || chain.len() == 3 || chain.contains(&id) {
                break;
            }
            chain.push(id);
            current = self.positions.get(&id).and_then(|p| p.parent_id);
        }
        chain
    }

    /// Everyone entitled to act as `position` on `day`: its holder, a Plt.
    /// while it is vacant, and a Plh. while it is filled.
    pub fn actors(&self, position: PositionId, day: Date) -> Vec<Actor> {
        let Some(p) = self.positions.get(&position) else {
            return Vec::new();
        };
        let mut actors: Vec<Actor> = p
            .holder_id
            .map(|employee_id| Actor {
                employee_id,
                acting: None,
            })
            .into_iter()
            .collect();
        for d in &self.delegations {
            let usable = match d.kind {
                DelegationKind::Acting => p.holder_id.is_none(),
                DelegationKind::StandIn => p.holder_id.is_some(),
                _ => false,
            };
            if d.principal_id == position
                && usable
                && d.in_force_on(day)
                && let Some(employee_id) = d.delegate_employee_id
            {
                actors.push(Actor {
                    employee_id,
                    acting: Some(d.kind),
                });
            }
        }
        actors
    }

    /// Checks whether `employee` may act as `position` on `day`, and in
    /// which capacity.
    pub fn acts_as(
        &self,
        employee: EmployeeId,
        position: PositionId,
        day: Date,
    ) -> Result<Option<DelegationKind>, AuthorityError> {
        if let Some(actor) = self
            .actors(position, day)
            .into_iter()
            .find(|a| a.employee_id == employee)
        {
            return Ok(actor.acting);
        }
        let lapsed = self.delegations.iter().find(|d| {
            d.principal_id == position
                && d.delegate_employee_id == Some(employee)
                && !d.in_force_on(day)
        });
        Err(match lapsed {
            Some(d) => not_in_force(d),
            None => AuthorityError::NotActing(self.name(position)),
        })
    }

    /// Decides how `signer` may sign under the authority of `required` on
    /// `day`.
    pub fn route(
        &self,
        required: PositionId,
        signer: PositionId,
        day: Date,
    ) -> Result<Route, AuthorityError> {
        if signer == required {
            return Ok(Route::Direct);
        }
        let on_behalf: Vec<&Delegation> = self
            .delegations
            .iter()
            .filter(|d| {
                d.kind == DelegationKind::OnBehalf
                    && d.principal_id == required
                    && d.delegate_position_id == Some(signer)
            })
            .collect();
        if on_behalf.iter().any(|d| d.in_force_on(day)) {
            return Ok(Route::OnBehalf {
                principal_id: required,
            });
        }
        let under: Vec<&Delegation> = self
            .delegations
            .iter()
            .filter(|d| {
                d.kind == DelegationKind::UnderAuthority && d.delegate_position_id == Some(signer)
            })
            .collect();
        let mut lapsed = on_behalf.first().copied();
        let mut orphan = false;
        for ub in &under {
            let via = ub
                .via_id
                .and_then(|v| self.delegations.iter().find(|d| d.id == v))
                .filter(|an| {
                    an.kind == DelegationKind::OnBehalf
                        && an.delegate_position_id == Some(ub.principal_id)
                });
            match via {
                Some(an) if an.principal_id == required => {
                    if ub.in_force_on(day) && an.in_force_on(day) {
                        return Ok(Route::UnderAuthority {
                            principal_id: required,
                            middle_id: ub.principal_id,
                        });
                    }
                    lapsed = lapsed.or(Some(if an.in_force_on(day) { ub } else { an }));
                }
                Some(_) => {}
                None => orphan = true,
            }
        }
        if let Some(d) = lapsed {
            return Err(not_in_force(d));
        }
        if orphan {
            return Err(AuthorityError::UnderAuthorityWithoutOnBehalf);
        }
        Err(AuthorityError::NoAuthority {
            signer: self.name(signer),
            required: self.name(required),
        })
    }

    /// Checks a draft's chain and signer against its author before it is
    /// submitted: the author is nowhere in it, also not as Plt./Plh.
    pub fn check_chain(
        &self,
        author: EmployeeId,
        signer: PositionId,
        chain: &[PositionId],
        day: Date,
    ) -> Result<(), AuthorityError> {
        let author_acts = |position: PositionId| {
            self.actors(position, day)
                .iter()
                .any(|a| a.employee_id == author)
        };
        if author_acts(signer) {
            return Err(AuthorityError::AuthorIsSigner);
        }
        for (i, position) in chain.iter().enumerate() {
            if *position == signer {
                return Err(AuthorityError::SignerInChain);
            }
            if chain[..i].contains(position) {
                return Err(AuthorityError::ChainRepeats(self.name(*position)));
            }
            if author_acts(*position) {
                return Err(AuthorityError::AuthorInChain);
            }
        }
        Ok(())
    }

    /// Checks that each of `posts` has a holder or an acting official on
    /// `day`, so a submitted draft never waits for an empty post.
    pub fn check_staffed(&self, posts: &[PositionId], day: Date) -> Result<(), AuthorityError> {
        match posts.iter().find(|p| self.actors(**p, day).is_empty()) {
            Some(vacant) => Err(AuthorityError::VacantPost(self.name(*vacant))),
            None => Ok(()),
        }
    }

    /// Checks that `person` may sign as `signer` under the authority of
    /// `required` on `day`, and returns the signature block's lines.
    pub fn check_signer(
        &self,
        person: EmployeeId,
        author: EmployeeId,
        required: PositionId,
        signer: PositionId,
        day: Date,
    ) -> Result<Vec<String>, AuthorityError> {
        if person == author {
            return Err(AuthorityError::AuthorIsSigner);
        }
        let route = self.route(required, signer, day)?;
        let acting = self.acts_as(person, signer, day)?;
        Ok(self.signature_block(&route, signer, acting))
    }

    /// Checks that `person` may initial for `position` on `day`.
    pub fn check_reviewer(
        &self,
        person: EmployeeId,
        author: EmployeeId,
        position: PositionId,
        day: Date,
    ) -> Result<Option<DelegationKind>, AuthorityError> {
        if person == author {
            return Err(AuthorityError::AuthorInChain);
        }
        self.acts_as(person, position, day)
    }

    /// Returns the heading lines of the signature block, for example
    /// `a.n. Kepala Dinas`, `Sekretaris`, `u.b.`, `Plh. Kepala Bidang,`.
    pub fn signature_block(
        &self,
        route: &Route,
        signer: PositionId,
        acting: Option<DelegationKind>,
    ) -> Vec<String> {
        let signer_line = match acting {
            Some(kind) => format!("{} {},", kind.prefix(), self.name(signer)),
            None => format!("{},", self.name(signer)),
        };
        match route {
            Route::Direct => vec![signer_line],
            Route::OnBehalf { principal_id } => {
                vec![format!("a.n. {}", self.name(*principal_id)), signer_line]
            }
            Route::UnderAuthority {
                principal_id,
                middle_id,
            } => vec![
                format!("a.n. {}", self.name(*principal_id)),
                self.name(*middle_id),
                "u.b.".to_owned(),
                signer_line,
            ],
        }
    }

    /// Checks a new delegation against the tree and the delegations already
    /// recorded.
    pub fn check_delegation(&self, d: &Delegation) -> Result<(), DelegationError> {
        let principal = self
            .positions
            .get(&d.principal_id)
            .ok_or(DelegationError::Required {
                field: "principal_id",
            })?;
        match d.kind {
            DelegationKind::OnBehalf | DelegationKind::UnderAuthority => {
                let delegate = d
                    .delegate_position_id
                    .and_then(|id| self.positions.get(&id))
                    .ok_or(DelegationError::DelegateShape)?;
                if delegate.parent_id != Some(principal.id) {
                    return Err(DelegationError::NotDirectSubordinate);
                }
                if d.kind == DelegationKind::UnderAuthority {
                    let via_ok = d
                        .via_id
                        .and_then(|v| self.delegations.iter().find(|x| x.id == v))
                        .is_some_and(|an| {
                            an.kind == DelegationKind::OnBehalf
                                && an.delegate_position_id == Some(principal.id)
                        });
                    if !via_ok {
                        return Err(DelegationError::UnderAuthorityWithoutOnBehalf);
                    }
                }
            }
            DelegationKind::Acting => {
                if principal.holder_id.is_some() {
                    return Err(DelegationError::PostFilled);
                }
            }
            DelegationKind::StandIn => {
                if principal.holder_id.is_none() {
                    return Err(DelegationError::PostVacant);
                }
                if principal.holder_id == d.delegate_employee_id {
                    return Err(DelegationError::SelfDelegation);
                }
            }
        }
        Ok(())
    }
}

fn not_in_force(d: &Delegation) -> AuthorityError {
    AuthorityError::NotInForce {
        decree: d.decree_number.clone(),
        starts_on: d.starts_on,
        ends_on: d.ends_on,
    }
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;
    use crate::directory::OrganizationKind;

    struct Fixture {
        chart: Chart,
        kadis: PositionId,
        sekdis: PositionId,
        kasubag: PositionId,
        staff: PositionId,
        people: HashMap<&'static str, EmployeeId>,
    }

    fn org(kind: OrganizationKind, parent: Option<OrganizationId>) -> Organization {
        Organization {
            id: OrganizationId::new(),
            code: None,
            name: format!("{kind}"),
            kind,
            parent_id: parent,
            address: None,
            is_demo: false,
        }
    }

    fn position(
        org: OrganizationId,
        name: &str,
        parent: Option<PositionId>,
        holder: Option<EmployeeId>,
    ) -> Position {
        Position {
            id: PositionId::new(),
            organization_id: org,
            name: name.to_owned(),
            parent_id: parent,
            holder_id: holder,
            is_demo: false,
        }
    }

    /// Dinas with a Kepala, a Sekretaris, a Kasubag under the Sekretaris
    /// and a staff post under the Kasubag.
    fn fixture(delegations: impl FnOnce(&Fixture) -> Vec<Delegation>) -> Fixture {
        let regency = org(OrganizationKind::Regency, None);
        let agency = org(OrganizationKind::Agency, Some(regency.id));
        let unit = org(OrganizationKind::Unit, Some(agency.id));
        let people: HashMap<&str, EmployeeId> = ["kadis", "sekdis", "kasubag", "staff", "other"]
            .into_iter()
            .map(|n| (n, EmployeeId::new()))
            .collect();
        let kadis = position(agency.id, "Kepala Dinas", None, Some(people["kadis"]));
        let sekdis = position(
            agency.id,
            "Sekretaris",
            Some(kadis.id),
            Some(people["sekdis"]),
        );
        let kasubag = position(
            unit.id,
            "Kepala Subbagian Umum",
            Some(sekdis.id),
            Some(people["kasubag"]),
        );
        let staff = position(
            unit.id,
            "Pengadministrasi",
            Some(kasubag.id),
            Some(people["staff"]),
        );
        let ids = (kadis.id, sekdis.id, kasubag.id, staff.id);
        let mut fixture = Fixture {
            chart: Chart::new(
                vec![regency, agency, unit],
                vec![kadis, sekdis, kasubag, staff],
                Vec::new(),
            ),
            kadis: ids.0,
            sekdis: ids.1,
            kasubag: ids.2,
            staff: ids.3,
            people,
        };
        fixture.chart.delegations = delegations(&fixture);
        fixture
    }

    fn delegation(
        kind: DelegationKind,
        principal: PositionId,
        delegate_position: Option<PositionId>,
        delegate_employee: Option<EmployeeId>,
        period: (Date, Date),
    ) -> Delegation {
        Delegation {
            id: DelegationId::new(),
            kind,
            principal_id: principal,
            delegate_position_id: delegate_position,
            delegate_employee_id: delegate_employee,
            via_id: None,
            decree_number: "800/12/2026".into(),
            starts_on: period.0,
            ends_on: period.1,
        }
    }

    const YEAR: (Date, Date) = (date!(2026 - 01 - 01), date!(2026 - 12 - 31));
    const DAY: Date = date!(2026 - 12 - 04);

    #[test]
    fn head_signs_directly() {
        let f = fixture(|_| Vec::new());
        let org = f.chart.position(f.staff).expect("staff").organization_id;
        let required = f
            .chart
            .required_signer(org, SignerLevel::AgencyHead)
            .expect("head");
        assert_eq!(required, f.kadis);
        assert_eq!(
            f.chart.required_signer(org, SignerLevel::UnitHead),
            Some(f.kasubag)
        );
        let block = f
            .chart
            .check_signer(f.people["kadis"], f.people["staff"], f.kadis, f.kadis, DAY)
            .expect("may sign");
        assert_eq!(block, vec!["Kepala Dinas,"]);
    }

    #[test]
    fn default_chain_stops_below_signer() {
        let f = fixture(|_| Vec::new());
        assert_eq!(
            f.chart.default_reviewers(f.staff, f.kadis),
            vec![f.kasubag, f.sekdis]
        );
    }

    #[test]
    fn author_in_chain_or_as_signer_rejected() {
        let f = fixture(|_| Vec::new());
        let staff = f.people["staff"];
        assert_eq!(
            f.chart
                .check_chain(staff, f.kadis, &[f.staff, f.sekdis], DAY),
            Err(AuthorityError::AuthorInChain)
        );
        assert_eq!(
            f.chart.check_chain(f.people["kadis"], f.kadis, &[], DAY),
            Err(AuthorityError::AuthorIsSigner)
        );
        assert_eq!(
            f.chart.check_reviewer(staff, staff, f.kasubag, DAY),
            Err(AuthorityError::AuthorInChain)
        );
        assert!(
            f.chart
                .check_chain(staff, f.kadis, &[f.kasubag, f.sekdis], DAY)
                .is_ok()
        );
    }

    #[test]
    fn author_as_delegate_of_signer_rejected() {
        // The author is Plh. of the Kepala Dinas and still may not sign.
        let f = fixture(|f| {
            vec![delegation(
                DelegationKind::StandIn,
                f.kadis,
                None,
                Some(f.people["staff"]),
                (date!(2026 - 12 - 01), date!(2026 - 12 - 20)),
            )]
        });
        let staff = f.people["staff"];
        assert_eq!(
            f.chart.check_chain(staff, f.kadis, &[f.kasubag], DAY),
            Err(AuthorityError::AuthorIsSigner)
        );
        assert_eq!(
            f.chart.check_signer(staff, staff, f.kadis, f.kadis, DAY),
            Err(AuthorityError::AuthorIsSigner)
        );
    }

    #[test]
    fn on_behalf_and_under_authority() {
        let f = fixture(|f| {
            let an = delegation(
                DelegationKind::OnBehalf,
                f.kadis,
                Some(f.sekdis),
                None,
                YEAR,
            );
            let mut ub = delegation(
                DelegationKind::UnderAuthority,
                f.sekdis,
                Some(f.kasubag),
                None,
                YEAR,
            );
            ub.via_id = Some(an.id);
            vec![an, ub]
        });
        let block = f
            .chart
            .check_signer(
                f.people["sekdis"],
                f.people["staff"],
                f.kadis,
                f.sekdis,
                DAY,
            )
            .expect("a.n.");
        assert_eq!(block, vec!["a.n. Kepala Dinas", "Sekretaris,"]);
        let block = f
            .chart
            .check_signer(
                f.people["kasubag"],
                f.people["staff"],
                f.kadis,
                f.kasubag,
                DAY,
            )
            .expect("u.b.");
        assert_eq!(
            block,
            vec![
                "a.n. Kepala Dinas",
                "Sekretaris",
                "u.b.",
                "Kepala Subbagian Umum,"
            ]
        );
        // A person in neither post cannot sign, even when the route exists.
        assert_eq!(
            f.chart
                .check_signer(f.people["other"], f.people["staff"], f.kadis, f.sekdis, DAY),
            Err(AuthorityError::NotActing("Sekretaris".into()))
        );
    }

    #[test]
    fn under_authority_without_on_behalf_rejected() {
        let f = fixture(|f| {
            vec![delegation(
                DelegationKind::UnderAuthority,
                f.sekdis,
                Some(f.kasubag),
                None,
                YEAR,
            )]
        });
        assert_eq!(
            f.chart.route(f.kadis, f.kasubag, DAY),
            Err(AuthorityError::UnderAuthorityWithoutOnBehalf)
        );
        let input = DelegationInput {
            kind: "ub".into(),
            principal_id: Some(f.sekdis),
            delegate_position_id: Some(f.kasubag),
            decree_number: "1".into(),
            starts_on: Some(YEAR.0),
            ends_on: Some(YEAR.1),
            ..DelegationInput::default()
        };
        assert_eq!(
            input.validate(),
            Err(DelegationError::UnderAuthorityWithoutOnBehalf)
        );
        let mut with_via = input.clone();
        with_via.via_id = Some(DelegationId::new());
        let d = with_via.validate().expect("shape is fine");
        assert_eq!(
            f.chart.check_delegation(&d),
            Err(DelegationError::UnderAuthorityWithoutOnBehalf)
        );
    }

    #[test]
    fn no_authority_without_delegation() {
        let f = fixture(|_| Vec::new());
        assert!(matches!(
            f.chart.route(f.kadis, f.sekdis, DAY),
            Err(AuthorityError::NoAuthority { .. })
        ));
    }

    #[test]
    fn stand_in_longer_than_three_months_rejected() {
        let input = |ends: Date| DelegationInput {
            kind: "plh".into(),
            principal_id: Some(PositionId::new()),
            delegate_employee_id: Some(EmployeeId::new()),
            decree_number: "800/1".into(),
            starts_on: Some(date!(2026 - 12 - 01)),
            ends_on: Some(ends),
            ..DelegationInput::default()
        };
        assert!(input(date!(2027 - 02 - 28)).validate().is_ok());
        assert_eq!(
            input(date!(2027 - 03 - 01)).validate(),
            Err(DelegationError::PeriodTooLong {
                kind: DelegationKind::StandIn,
                months: 3
            })
        );
        let mut acting = input(date!(2027 - 11 - 30));
        acting.kind = "plt".into();
        assert!(acting.validate().is_ok());
        acting.ends_on = Some(date!(2027 - 12 - 01));
        assert!(acting.validate().is_err());
        assert_eq!(add_months(date!(2026 - 01 - 31), 1), date!(2026 - 02 - 28));
    }

    #[test]
    fn delegation_ends_at_midnight_wib() {
        // A Plt. for the vacant Sekretaris post until 31 December 2026.
        let mut f = fixture(|_| Vec::new());
        let sekdis = f.sekdis;
        let acting = f.people["other"];
        let mut positions: Vec<Position> = f.chart.positions.values().cloned().collect();
        for p in &mut positions {
            if p.id == sekdis {
                p.holder_id = None;
            }
        }
        let orgs = f.chart.orgs.values().cloned().collect();
        f.chart = Chart::new(
            orgs,
            positions,
            vec![delegation(
                DelegationKind::Acting,
                sekdis,
                None,
                Some(acting),
                (date!(2026 - 07 - 01), date!(2026 - 12 - 31)),
            )],
        );
        let last_minute = datetime!(2026-12-31 16:59:59 UTC)
            .to_offset(crate::wib::WIB)
            .date();
        let midnight = datetime!(2026-12-31 17:00:00 UTC)
            .to_offset(crate::wib::WIB)
            .date();
        assert_eq!(
            f.chart.acts_as(acting, sekdis, last_minute),
            Ok(Some(DelegationKind::Acting))
        );
        assert!(matches!(
            f.chart.acts_as(acting, sekdis, midnight),
            Err(AuthorityError::NotInForce { .. })
        ));
        let block = f
            .chart
            .signature_block(&Route::Direct, sekdis, Some(DelegationKind::Acting));
        assert_eq!(block, vec!["Plt. Sekretaris,"]);
    }

    #[test]
    fn expired_on_behalf_named() {
        let f = fixture(|f| {
            vec![delegation(
                DelegationKind::OnBehalf,
                f.kadis,
                Some(f.sekdis),
                None,
                (date!(2026 - 01 - 01), date!(2026 - 06 - 30)),
            )]
        });
        assert_eq!(
            f.chart.route(f.kadis, f.sekdis, DAY),
            Err(AuthorityError::NotInForce {
                decree: "800/12/2026".into(),
                starts_on: date!(2026 - 01 - 01),
                ends_on: date!(2026 - 06 - 30),
            })
        );
    }

    #[test]
    fn acting_needs_vacancy_and_stand_in_a_holder() {
        let f = fixture(|_| Vec::new());
        let plt = delegation(
            DelegationKind::Acting,
            f.kadis,
            None,
            Some(f.people["other"]),
            YEAR,
        );
        assert_eq!(
            f.chart.check_delegation(&plt),
            Err(DelegationError::PostFilled)
        );
        let own = delegation(
            DelegationKind::StandIn,
            f.kadis,
            None,
            Some(f.people["kadis"]),
            YEAR,
        );
        assert_eq!(
            f.chart.check_delegation(&own),
            Err(DelegationError::SelfDelegation)
        );
        let skip = delegation(
            DelegationKind::OnBehalf,
            f.kadis,
            Some(f.kasubag),
            None,
            YEAR,
        );
        assert_eq!(
            f.chart.check_delegation(&skip),
            Err(DelegationError::NotDirectSubordinate)
        );
    }
}
