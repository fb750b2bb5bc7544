//! Traces exported over OTLP/HTTP (protobuf), configured with OpenTelemetry's standard
//! variables so a collector's usual settings work unchanged. Spans come from `tracing`
//! (requests, submissions, jobs, steps, Databricks calls); the engine carries their context
//! across the queue and into Databricks requests (`sharepack_engine::trace`).

use crate::config::SettingError;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;

/// Where and how traces go.
#[derive(Debug, Clone)]
pub struct TraceSettings {
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, or `OTEL_EXPORTER_OTLP_ENDPOINT` with `/v1/traces`.
    pub endpoint: String,
    /// `OTEL_EXPORTER_OTLP_HEADERS` (or `..._TRACES_HEADERS`): `name=value` pairs, comma
    /// separated, such as a collector's API key; a secret.
    pub headers: SecretString,
    /// `OTEL_SERVICE_NAME` (`sharepack`).
    pub service_name: String,
    /// `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG` (`parentbased_always_on`).
    pub sampler: Sampler,
}

impl TraceSettings {
    /// Reads the OpenTelemetry variables through `get`; `None` when no endpoint is set (no
    /// traces are exported).
    pub fn read(get: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, SettingError> {
        let endpoint = match (get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"), get("OTEL_EXPORTER_OTLP_ENDPOINT")) {
            (Some(endpoint), _) => (endpoint, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
            (None, Some(base)) => (format!("{}/v1/traces", base.trim_end_matches('/')), "OTEL_EXPORTER_OTLP_ENDPOINT"),
            (None, None) => return Ok(None),
        };
        let (endpoint, name) = endpoint;
        let uri: http::Uri = endpoint.parse().map_err(|_| SettingError { name, problem: format!("`{endpoint}` is not an address") })?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.authority().is_none() {
            return Err(SettingError { name, problem: format!("`{endpoint}` is not an http:// or https:// address") });
        }
        let (headers, headers_name) = match get("OTEL_EXPORTER_OTLP_TRACES_HEADERS") {
            Some(text) => (text, "OTEL_EXPORTER_OTLP_TRACES_HEADERS"),
            None => (get("OTEL_EXPORTER_OTLP_HEADERS").unwrap_or_default(), "OTEL_EXPORTER_OTLP_HEADERS"),
        };
        parse_headers(&headers).map_err(|problem| SettingError { name: headers_name, problem })?;
        Ok(Some(TraceSettings {
            endpoint,
            headers: SecretString::from(headers),
            service_name: get("OTEL_SERVICE_NAME").unwrap_or_else(|| "sharepack".into()),
            sampler: sampler(get("OTEL_TRACES_SAMPLER").as_deref(), get("OTEL_TRACES_SAMPLER_ARG").as_deref())?,
        }))
    }

    /// The tracer provider exporting in batches from its own thread, so a slow or absent
    /// collector never holds up a request or a step; spans it cannot deliver are reported in
    /// the log by the SDK.
    pub fn provider(&self) -> Result<SdkTracerProvider, String> {
        use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
        let headers = parse_headers(self.headers.expose_secret())?;
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(self.endpoint.clone())
            .with_headers(headers)
            .with_timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|error| format!("the OTLP exporter cannot start: {error}"))?;
        let resource = opentelemetry_sdk::Resource::builder()
            .with_service_name(self.service_name.clone())
            .with_attribute(opentelemetry::KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
            .build();
        Ok(SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource).with_sampler(self.sampler.clone()).build())
    }
}

/// `name=value,name2=value2`, values percent-encoded as the OpenTelemetry specification says.
fn parse_headers(text: &str) -> Result<HashMap<String, String>, String> {
    let mut headers = HashMap::new();
    for pair in text.split(',').map(str::trim).filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').ok_or_else(|| format!("`{}` is not name=value", pair.split('=').next().unwrap_or("")))?;
        let name = name.trim();
        http::HeaderName::try_from(name).map_err(|_| format!("`{name}` is not a header name"))?;
        let value = percent_encoding::percent_decode_str(value.trim())
            .decode_utf8()
            .map_err(|_| format!("the value of header `{name}` is not UTF-8 once decoded"))?
            .into_owned();
        http::HeaderValue::try_from(value.as_str()).map_err(|_| format!("the value of header `{name}` cannot be sent"))?;
        headers.insert(name.to_string(), value);
    }
    Ok(headers)
}

fn sampler(name: Option<&str>, arg: Option<&str>) -> Result<Sampler, SettingError> {
    let ratio = || -> Result<f64, SettingError> {
        match arg {
            None => Ok(1.0),
            Some(text) => text.parse::<f64>().ok().filter(|ratio| (0.0..=1.0).contains(ratio)).ok_or_else(|| SettingError {
                name: "OTEL_TRACES_SAMPLER_ARG",
                problem: format!("`{text}` is not a ratio between 0 and 1"),
            }),
        }
    };
    Ok(match name.map(str::to_ascii_lowercase).as_deref() {
        None | Some("parentbased_always_on") => Sampler::ParentBased(Box::new(Sampler::AlwaysOn)),
        Some("parentbased_always_off") => Sampler::ParentBased(Box::new(Sampler::AlwaysOff)),
        Some("parentbased_traceidratio") => Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(ratio()?))),
        Some("always_on") => Sampler::AlwaysOn,
        Some("always_off") => Sampler::AlwaysOff,
        Some("traceidratio") => Sampler::TraceIdRatioBased(ratio()?),
        Some(other) => {
            return Err(SettingError {
                name: "OTEL_TRACES_SAMPLER",
                problem: format!(
                    "`{other}` is not a sampler (always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio)"
                ),
            })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<Option<TraceSettings>, SettingError> {
        let pairs: HashMap<String, String> = pairs.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect();
        TraceSettings::read(|name| pairs.get(name).cloned())
    }

    #[test]
    fn traces_are_off_without_an_endpoint() {
        assert!(read(&[]).unwrap().is_none());
        assert!(read(&[("OTEL_SERVICE_NAME", "x")]).unwrap().is_none());
    }

    #[test]
    fn the_endpoint_follows_the_specification() {
        let base = read(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/")]).unwrap().unwrap();
        assert_eq!(base.endpoint, "http://collector:4318/v1/traces");
        assert_eq!(base.service_name, "sharepack");
        let exact =
            read(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318"), ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://b/otlp/traces")])
                .unwrap()
                .unwrap();
        assert_eq!(exact.endpoint, "https://b/otlp/traces");
    }

    #[test]
    fn malformed_values_name_their_setting() {
        let error = read(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318")]).unwrap_err();
        assert_eq!(error.name, "OTEL_EXPORTER_OTLP_ENDPOINT");
        let error = read(&[("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "ftp://x/v1/traces")]).unwrap_err();
        assert_eq!(error.name, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
        let error = read(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://a"), ("OTEL_EXPORTER_OTLP_HEADERS", "api-key")]).unwrap_err();
        assert_eq!((error.name, error.problem.as_str()), ("OTEL_EXPORTER_OTLP_HEADERS", "`api-key` is not name=value"));
        let error = read(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://a"), ("OTEL_TRACES_SAMPLER", "sometimes")]).unwrap_err();
        assert_eq!(error.name, "OTEL_TRACES_SAMPLER");
        let error =
            read(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://a"), ("OTEL_TRACES_SAMPLER", "traceidratio"), ("OTEL_TRACES_SAMPLER_ARG", "2")])
                .unwrap_err();
        assert_eq!(error.name, "OTEL_TRACES_SAMPLER_ARG");
    }

    #[test]
    fn headers_are_decoded_and_kept_secret() {
        let settings =
            read(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://a"), ("OTEL_EXPORTER_OTLP_HEADERS", "api-key=s%3Dcr%20t+, x-team = data")])
                .unwrap()
                .unwrap();
        let headers = parse_headers(settings.headers.expose_secret()).unwrap();
        assert_eq!(headers["api-key"], "s=cr t+");
        assert_eq!(headers["x-team"], "data");
        assert!(!format!("{settings:?}").contains("s%3Dcr"));
    }
}
