//! The application forms of all tenants' services, held in memory after start.

use std::collections::HashMap;
use std::sync::Arc;

use super::Catalogue;
use crate::domain::form::FormDefinition;

/// Tenant slug → service slug → form.
#[derive(Default)]
pub struct FormDefinitions {
    by_tenant: HashMap<String, HashMap<String, Arc<FormDefinition>>>,
}

impl FormDefinitions {
    pub fn of(catalogue: &Catalogue) -> Self {
        let by_tenant = catalogue
            .tenants
            .iter()
            .map(|t| {
                let forms = t
                    .services
                    .iter()
                    .filter_map(|s| s.form.as_ref().map(|f| (s.slug.clone(), f.clone())))
                    .collect();
                (t.slug.clone(), forms)
            })
            .collect();
        Self { by_tenant }
    }

    /// The most name-value pairs a post of any step of any form holds: the bound for a post whose
    /// step is not known yet (sent after the session ended).
    pub fn most_inputs_of_any_step(&self) -> usize {
        self.by_tenant
            .values()
            .flat_map(HashMap::values)
            .flat_map(|form| &form.steps)
            .map(|step| step.most_inputs())
            .max()
            .unwrap_or(0)
    }

    pub fn get(&self, tenant: &str, service: &str) -> Option<&Arc<FormDefinition>> {
        self.by_tenant.get(tenant)?.get(service)
    }
}
