//! The one place that talks to the desktop shell: typed calls over Tauri's `invoke`, and the event listener.

use sbx_api::{ApiError, Request, UiEvent};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], js_name = invoke, catch)]
    async fn tauri_invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "event"], js_name = listen)]
    fn tauri_listen(event: &str, handler: &Closure<dyn FnMut(JsValue)>) -> js_sys::Promise;
}

fn to_js(value: &serde_json::Value) -> JsValue {
    js_sys::JSON::parse(&value.to_string()).unwrap_or(JsValue::NULL)
}

fn to_json(value: &JsValue) -> Option<String> {
    if value.is_undefined() {
        return Some("null".to_string());
    }
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
}

/// Call the shell: `R::METHOD` with `params`, answering `R::Result` or the shell's [`ApiError`].
pub async fn call<R: Request>(params: &R::Params) -> Result<R::Result, ApiError> {
    let args = serde_json::json!({ "params": params });
    match tauri_invoke(R::METHOD, to_js(&args)).await {
        Ok(value) => {
            let text = to_json(&value).unwrap_or_else(|| "null".to_string());
            serde_json::from_str(&text)
                .map_err(|e| ApiError::internal(format!("unexpected answer to {}: {e}", R::METHOD)))
        }
        Err(error) => Err(to_json(&error)
            .and_then(|text| serde_json::from_str::<ApiError>(&text).ok())
            .unwrap_or_else(|| {
                ApiError::internal(
                    error
                        .as_string()
                        .unwrap_or_else(|| format!("{} failed", R::METHOD)),
                )
            })),
    }
}

/// Call `handler` with every [`UiEvent`] the shell emits, for as long as the page lives.
pub fn listen(mut handler: impl FnMut(UiEvent) + 'static) {
    let closure = Closure::wrap(Box::new(move |event: JsValue| {
        let payload = js_sys::Reflect::get(&event, &JsValue::from_str("payload"))
            .ok()
            .and_then(|p| to_json(&p));
        if let Some(event) = payload.and_then(|text| serde_json::from_str::<UiEvent>(&text).ok()) {
            handler(event);
        }
    }) as Box<dyn FnMut(JsValue)>);
    let _ = tauri_listen(sbx_api::UI_EVENT, &closure);
    closure.forget();
}
