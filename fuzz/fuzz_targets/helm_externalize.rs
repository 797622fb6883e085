//! Arbitrary text as a values file of either chart through `airseal helm externalize` (every
//! provider and method) and as an `airseal:` reference: an error or a result, never a panic,
//! and the overlay merged over the values must equal the values it computed.
#![no_main]

use airseal_deployment::Chart;
use airseal_helm::{Method, Options, ProviderSettings, Reference, values_tree};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Reference::parse(text);
    let Ok(values) = airseal_helm::parse_values("fuzz.yaml", text) else {
        return;
    };
    for chart in [Chart::UserCommunity, Chart::Official] {
        for (n, provider) in airseal_helm::provider::ALL.into_iter().enumerate() {
            let method = if n % 2 == 0 { Method::ExternalSecrets } else { Method::Csi };
            let options = Options {
                chart,
                provider,
                method,
                release: "airflow".to_owned(),
                namespace: None,
                store: "store".to_owned(),
                kwargs: provider.default_kwargs(),
                direct_backend: n == 2,
                settings: ProviderSettings::default(),
                refresh_interval: "1h".to_owned(),
            };
            let result = airseal_helm::externalize("fuzz.yaml", &values, &options);
            assert_eq!(values_tree::merge(&values, &result.overlay), result.merged);
        }
    }
});
