//! The fixed category taxonomy of `reference/interface.md`. Alerts and `detect` output use these
//! names verbatim, so renaming a variant is a breaking change for downstream dashboards.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    // Identifiers
    Name,
    Address,
    Geo,
    Zip,
    Date,
    Age,
    Phone,
    Email,
    Ssn,
    Mrn,
    HealthPlanId,
    AccountNumber,
    LicenseNumber,
    VehicleId,
    DeviceId,
    Url,
    IpAddress,
    Npi,
    CreditCard,
    OtherId,
    // Health information
    Condition,
    Medication,
    Procedure,
    MedicalCode,
    CareSetting,
    // Security
    Credential,
}

/// What a category tells the policy: who someone is, what their health is, or a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Identifier,
    Health,
    Security,
}

impl Category {
    pub const ALL: [Category; 26] = [
        Category::Name,
        Category::Address,
        Category::Geo,
        Category::Zip,
        Category::Date,
        Category::Age,
        Category::Phone,
        Category::Email,
        Category::Ssn,
        Category::Mrn,
        Category::HealthPlanId,
        Category::AccountNumber,
        Category::LicenseNumber,
        Category::VehicleId,
        Category::DeviceId,
        Category::Url,
        Category::IpAddress,
        Category::Npi,
        Category::CreditCard,
        Category::OtherId,
        Category::Condition,
        Category::Medication,
        Category::Procedure,
        Category::MedicalCode,
        Category::CareSetting,
        Category::Credential,
    ];

    pub fn kind(self) -> Kind {
        use Category::*;
        match self {
            Condition | Medication | Procedure | MedicalCode | CareSetting => Kind::Health,
            Credential => Kind::Security,
            _ => Kind::Identifier,
        }
    }

    /// Identifiers that are PHI in a log on their own (policy.md: "a strong identifier (SSN, MRN,
    /// plan ID, DOB)"). A date only counts when its detector says it is a birth date.
    pub fn is_strong_identifier(self) -> bool {
        matches!(
            self,
            Category::Ssn | Category::Mrn | Category::HealthPlanId | Category::CreditCard
        )
    }

    pub fn as_str(self) -> &'static str {
        use Category::*;
        match self {
            Name => "name",
            Address => "address",
            Geo => "geo",
            Zip => "zip",
            Date => "date",
            Age => "age",
            Phone => "phone",
            Email => "email",
            Ssn => "ssn",
            Mrn => "mrn",
            HealthPlanId => "health_plan_id",
            AccountNumber => "account_number",
            LicenseNumber => "license_number",
            VehicleId => "vehicle_id",
            DeviceId => "device_id",
            Url => "url",
            IpAddress => "ip_address",
            Npi => "npi",
            CreditCard => "credit_card",
            OtherId => "other_id",
            Condition => "condition",
            Medication => "medication",
            Procedure => "procedure",
            MedicalCode => "medical_code",
            CareSetting => "care_setting",
            Credential => "credential",
        }
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Category {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Category::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                format!("unknown category `{s}` (expected one of interface.md's categories)")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_serde_and_from_str() {
        for c in Category::ALL {
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
            assert_eq!(c.as_str().parse::<Category>().unwrap(), c);
        }
    }
}
