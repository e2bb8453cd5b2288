//! Who acts: the roles a token grants and the actor recorded with every change.

use serde::{Deserialize, Serialize};

/// What a person may do; a token may carry several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[cfg_attr(feature = "graphql", graphql(rename_items = "SCREAMING_SNAKE_CASE"))]
pub enum Role {
    /// A citizen acting for themself (their parcels, cases, requests).
    Citizen,
    /// A municipal inspector who detects violations.
    Inspector,
    /// Secretary of an Article 100 commission: prepares sessions, issues rulings.
    CommissionSecretary,
    /// A voting member of an Article 100 commission: signs rulings.
    CommissionMember,
    /// Urban-planning staff working request queues.
    UrbanismStaff,
    /// Reads everything, changes nothing; verifies the audit log.
    Auditor,
    /// Operates the gateway.
    Admin,
}

impl Role {
    /// Every role, for help texts.
    pub const ALL: [Role; 7] = [
        Role::Citizen,
        Role::Inspector,
        Role::CommissionSecretary,
        Role::CommissionMember,
        Role::UrbanismStaff,
        Role::Auditor,
        Role::Admin,
    ];

    /// The claim spelling (`commission_secretary`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Citizen => "citizen",
            Role::Inspector => "inspector",
            Role::CommissionSecretary => "commission_secretary",
            Role::CommissionMember => "commission_member",
            Role::UrbanismStaff => "urbanism_staff",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }

    /// The Persian label a person reads.
    pub fn label_fa(self) -> &'static str {
        match self {
            Role::Citizen => "شهروند",
            Role::Inspector => "بازرس",
            Role::CommissionSecretary => "دبیر کمیسیون",
            Role::CommissionMember => "عضو کمیسیون",
            Role::UrbanismStaff => "کارشناس شهرسازی",
            Role::Auditor => "حسابرس",
            Role::Admin => "مدیر سامانه",
        }
    }
}

/// A fact an identity carries besides its roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Claim {
    /// The person's national id: whose parcels, cases and requests are theirs; whose
    /// signature is on a ruling.
    NationalId,
    /// The district a staff member or inspector works in.
    District,
    /// The commission a secretary or member sits on.
    Commission,
}

impl Claim {
    /// The flag of the `token` command that gives it.
    pub fn flag(self) -> &'static str {
        match self {
            Claim::NationalId => "--national-id",
            Claim::District => "--district",
            Claim::Commission => "--commission",
        }
    }
}

impl Role {
    /// What an identity in this role must carry to act in it: without it the person could
    /// sign in and yet see and do nothing of their role.
    pub fn needs(self) -> &'static [Claim] {
        match self {
            Role::Citizen => &[Claim::NationalId],
            Role::Inspector | Role::UrbanismStaff => &[Claim::District],
            Role::CommissionSecretary => &[Claim::Commission],
            Role::CommissionMember => &[Claim::Commission, Claim::NationalId],
            Role::Auditor | Role::Admin => &[],
        }
    }
}

/// The claims `roles` need that the identity lacks (`has` says what it carries), each with
/// the first role that needs it, in the order of the roles.
pub fn missing_claims(roles: &[Role], has: impl Fn(Claim) -> bool) -> Vec<(Role, Claim)> {
    let mut missing: Vec<(Role, Claim)> = Vec::new();
    for role in roles {
        for claim in role.needs() {
            if !has(*claim) && !missing.iter().any(|(_, c)| c == claim) {
                missing.push((*role, *claim));
            }
        }
    }
    missing
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Role::ALL.iter().map(|r| r.as_str()).collect();
                format!("unknown role `{s}`; expected one of {}", names.join(", "))
            })
    }
}

/// In which capacity an actor acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capacity {
    /// A signed-in person in one of their roles.
    Person(Role),
    /// The gateway itself (finality, e-notice receipts, background jobs).
    System,
}

impl Capacity {
    /// The name recorded in history and audit rows (`citizen`, `system`).
    pub fn name(self) -> &'static str {
        match self {
            Capacity::Person(r) => r.as_str(),
            Capacity::System => "system",
        }
    }

    /// Reads a recorded name back; `None` for a name no version of the gateway writes.
    pub fn from_recorded(name: &str) -> Option<Self> {
        if name == "system" {
            return Some(Capacity::System);
        }
        name.parse().ok().map(Capacity::Person)
    }
}

/// Who does something, for history and audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The token subject, or `system:<job>`.
    pub subject: String,
    /// The capacity.
    pub capacity: Capacity,
}

impl Actor {
    /// A person acting in `role`.
    pub fn person(subject: &str, role: Role) -> Self {
        Self {
            subject: subject.to_owned(),
            capacity: Capacity::Person(role),
        }
    }

    /// The gateway's own job `job` (`finality`, `e-notice`).
    pub fn system(job: &str) -> Self {
        Self {
            subject: format!("system:{job}"),
            capacity: Capacity::System,
        }
    }

    /// The role as recorded in history and audit rows (`citizen`, `system`).
    pub fn role_name(&self) -> &'static str {
        self.capacity.name()
    }

    /// True when acting as `role`.
    pub fn is(&self, role: Role) -> bool {
        self.capacity == Capacity::Person(role)
    }
}
