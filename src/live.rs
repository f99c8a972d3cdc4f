//! The live source of the console: the feature server configuration and the
//! monitoring events, shared by every page through context.
//!
//! While an account is signed in, one `EventSource` on the monitoring stream
//! delivers `config`, `sample` and `activity` events. When the stream fails,
//! the console polls instead and reopens the stream after a backoff that
//! starts at 1 s and doubles up to 30 s. While polling, the configuration is
//! fetched every second while pods start or stop and every 5 seconds
//! otherwise, and the pages refetch samples and activity every 5 seconds.
//! Signing out closes the stream and stops every timer.

use std::collections::VecDeque;

use gloo_timers::callback::{Interval, Timeout};
use headroom_api::monitoring::{Sample, ScalingActivity};
use headroom_api::scaling::{FeatureServerConfig, Limits};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{Event, EventSource, MessageEvent};

use crate::api::{self, ApiError};
use crate::session::{Auth, Session};

/// Milliseconds between configuration polls while pods start or stop.
const SETTLING_POLL_MS: u32 = 1_000;
/// Milliseconds between polls while the stream is down and the pods match
/// the desired count.
pub const STEADY_POLL_MS: u32 = 5_000;
const FIRST_RETRY_MS: u32 = 1_000;
const MAX_RETRY_MS: u32 = 30_000;
/// Samples kept from the stream: an hour at the default 5 s sample interval.
const MAX_STREAMED_SAMPLES: usize = 720;
/// Activity entries kept from the stream, as many as the activity list shows.
pub const MAX_ACTIVITY: usize = 50;

/// The source of the console's updates: the live stream or polling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connection {
    /// No one is signed in.
    Closed,
    /// The first stream is opening.
    Connecting,
    /// The stream is open.
    Live,
    /// The stream failed, so the console polls until it reopens.
    Polling,
}

/// The open stream. Dropping it closes the `EventSource` and frees its
/// listener.
struct Stream {
    source: EventSource,
    _listener: Closure<dyn FnMut(Event)>,
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.source.close();
    }
}

/// The browser handles behind [`Live`]: the stream and the timers. Dropping
/// a timer cancels it.
#[derive(Default)]
struct Handles {
    stream: Option<Stream>,
    reconnect: Option<Timeout>,
    config_poll: Option<Timeout>,
    refresh: Option<Interval>,
    retry_ms: u32,
    /// Changes on every start and stop, so that a response to a request sent
    /// before is dropped.
    generation: u64,
    /// Counts `config` events, so that a poll that a newer event overtook
    /// does not overwrite it.
    config_events: u64,
}

/// A handle to the live source, provided as context at the root of the app.
#[derive(Clone, Copy)]
pub struct Live {
    session: Session,
    connection: RwSignal<Connection>,
    config: RwSignal<Option<FeatureServerConfig>>,
    limits: RwSignal<Option<Limits>>,
    config_error: RwSignal<Option<ApiError>>,
    samples: RwSignal<VecDeque<Sample>>,
    activity: RwSignal<VecDeque<ScalingActivity>>,
    refresh: RwSignal<u64>,
    /// Counts finished configuration polls, which schedule the next one.
    polls: RwSignal<u64>,
    handles: StoredValue<Handles, LocalStorage>,
}

impl Live {
    /// Creates the live source, provides it as context, and starts and
    /// stops it as accounts sign in and out.
    pub fn provide(session: Session) -> Live {
        let live = Live {
            session,
            connection: RwSignal::new(Connection::Closed),
            config: RwSignal::new(None),
            limits: RwSignal::new(None),
            config_error: RwSignal::new(None),
            samples: RwSignal::new(VecDeque::new()),
            activity: RwSignal::new(VecDeque::new()),
            refresh: RwSignal::new(0),
            polls: RwSignal::new(0),
            handles: StoredValue::new_local(Handles::default()),
        };
        provide_context(live);

        let signed_in = Memo::new(move |_| matches!(session.auth(), Auth::SignedIn(_)));
        Effect::new(move |_| {
            if signed_in.get() {
                live.start();
            } else {
                live.stop();
            }
        });

        // Each finished poll and each configuration schedules the next poll.
        // Replacing the stored timer drops, and so cancels, the one before it.
        Effect::new(move |_| {
            live.polls.track();
            let connection = live.connection.get();
            let complete = live.limits.with(Option::is_some);
            let delay = live.config.with(|config| match (connection, config) {
                (Connection::Closed, _) => None,
                (_, None) => Some(STEADY_POLL_MS),
                // The stream carries no limits, so only a poll can fetch them.
                (_, Some(_)) if !complete => Some(STEADY_POLL_MS),
                // The stream reports pods that become ready only while the
                // server's pod count watcher runs, so starting pods are
                // polled as well.
                (_, Some(config)) if is_settling(config) => Some(SETTLING_POLL_MS),
                (Connection::Polling, Some(_)) => Some(STEADY_POLL_MS),
                (Connection::Connecting | Connection::Live, Some(_)) => None,
            });
            let timer = delay.map(|delay| Timeout::new(delay, move || live.poll_config()));
            live.handles
                .update_value(|handles| handles.config_poll = timer);
        });

        let polling = Memo::new(move |_| live.connection.get() == Connection::Polling);
        Effect::new(move |_| {
            let interval = polling.get().then(|| {
                Interval::new(STEADY_POLL_MS, move || {
                    live.refresh.try_update(|count| *count += 1);
                })
            });
            live.handles
                .update_value(|handles| handles.refresh = interval);
        });
        live
    }

    pub fn connection(&self) -> Connection {
        self.connection.get()
    }

    /// Returns the configuration last received, `None` until the first
    /// arrives.
    pub fn config(&self) -> ReadSignal<Option<FeatureServerConfig>> {
        self.config.read_only()
    }

    /// Returns the cluster limits, fetched once per sign-in.
    pub fn limits(&self) -> ReadSignal<Option<Limits>> {
        self.limits.read_only()
    }

    /// Returns the error of the last configuration poll, which the next
    /// configuration that arrives clears.
    pub fn config_error(&self) -> ReadSignal<Option<ApiError>> {
        self.config_error.read_only()
    }

    /// Returns the samples received over the stream, oldest first.
    pub fn samples(&self) -> ReadSignal<VecDeque<Sample>> {
        self.samples.read_only()
    }

    /// Returns the scaling activity received over the stream, newest first.
    pub fn activity(&self) -> ReadSignal<VecDeque<ScalingActivity>> {
        self.activity.read_only()
    }

    /// Returns a counter that changes when pages should refetch their
    /// history: every 5 seconds while polling, and when the stream reopens.
    pub fn refresh(&self) -> ReadSignal<u64> {
        self.refresh.read_only()
    }

    /// Shows a configuration that a request returned, before its event arrives.
    pub fn set_config(&self, config: FeatureServerConfig) {
        self.config.set(Some(config));
    }

    /// Polls the configuration now, as after a failed poll.
    pub fn poll_now(&self) {
        self.poll_config();
    }

    fn start(self) {
        self.handles.update_value(|handles| {
            handles.generation += 1;
            handles.retry_ms = FIRST_RETRY_MS;
        });
        self.connection.set(Connection::Connecting);
        self.open_stream();
        self.poll_config();
    }

    fn stop(self) {
        self.handles.update_value(|handles| {
            handles.generation += 1;
            handles.stream = None;
            handles.reconnect = None;
            handles.config_poll = None;
            handles.refresh = None;
        });
        self.connection.set(Connection::Closed);
        self.config.set(None);
        self.limits.set(None);
        self.config_error.set(None);
        self.samples.set(VecDeque::new());
        self.activity.set(VecDeque::new());
    }

    fn open_stream(self) {
        let source = match EventSource::new(api::STREAM_URL) {
            Ok(source) => source,
            Err(error) => {
                leptos::logging::warn!("cannot open the live stream: {error:?}");
                // This may run inside the reconnect timer, which
                // `stream_failed` replaces, so it runs once the timer returned.
                spawn_local(async move { self.stream_failed() });
                return;
            }
        };
        let listener = Closure::<dyn FnMut(Event)>::new(move |event: Event| self.on_event(event));
        for name in ["open", "error", "config", "sample", "activity"] {
            let added =
                source.add_event_listener_with_callback(name, listener.as_ref().unchecked_ref());
            if let Err(error) = added {
                leptos::logging::warn!(
                    "cannot listen to {name} events of the live stream: {error:?}"
                );
            }
        }
        let stream = Stream {
            source,
            _listener: listener,
        };
        self.handles
            .update_value(|handles| handles.stream = Some(stream));
    }

    fn on_event(self, event: Event) {
        let name = event.type_();
        match name.as_str() {
            "open" => self.stream_opened(),
            // Closing the stream drops this listener, so it happens once the
            // listener has returned.
            "error" => spawn_local(async move { self.stream_failed() }),
            _ => {
                let data = event.unchecked_ref::<MessageEvent>().data().as_string();
                self.receive(&name, data.as_deref().unwrap_or_default());
            }
        }
    }

    fn stream_opened(self) {
        let was_polling = self.connection.get_untracked() == Connection::Polling;
        self.handles
            .update_value(|handles| handles.retry_ms = FIRST_RETRY_MS);
        self.connection.set(Connection::Live);
        // Events sent while the stream was down are lost, so the pages refetch.
        if was_polling {
            self.refresh.update(|count| *count += 1);
        }
    }

    /// Closes the failed stream, switches to polling and schedules the next
    /// attempt. The browser's own reconnection is not used, because it
    /// retries at a fixed interval.
    fn stream_failed(self) {
        if self.connection.get_untracked() == Connection::Closed {
            return;
        }
        self.handles.update_value(|handles| {
            handles.stream = None;
            let delay = handles.retry_ms.max(FIRST_RETRY_MS);
            handles.retry_ms = (delay * 2).min(MAX_RETRY_MS);
            handles.reconnect = Some(Timeout::new(delay, move || self.open_stream()));
        });
        if self.connection.get_untracked() != Connection::Polling {
            self.connection.set(Connection::Polling);
        }
    }

    fn receive(self, name: &str, data: &str) {
        let parsed = match name {
            "config" => serde_json::from_str(data).map(|config| self.receive_config(config)),
            "sample" => serde_json::from_str(data).map(|sample| {
                self.samples.update(|samples| {
                    if samples.len() == MAX_STREAMED_SAMPLES {
                        samples.pop_front();
                    }
                    samples.push_back(sample);
                });
            }),
            "activity" => serde_json::from_str(data).map(|activity| {
                self.activity.update(|list| {
                    list.truncate(MAX_ACTIVITY - 1);
                    list.push_front(activity);
                });
            }),
            _ => Ok(()),
        };
        if let Err(error) = parsed {
            leptos::logging::warn!("ignored a {name} event of the live stream: {error}");
        }
    }

    fn receive_config(self, config: FeatureServerConfig) {
        self.handles
            .update_value(|handles| handles.config_events += 1);
        self.config.set(Some(config));
        if self.config_error.with_untracked(Option::is_some) {
            self.config_error.set(None);
        }
    }

    /// Fetches the limits, until they have arrived once, and the
    /// configuration. The limits are command-line settings of the server, so
    /// they do not change while it runs.
    fn poll_config(self) {
        let Some((generation, events_before)) = self
            .handles
            .try_with_value(|handles| (handles.generation, handles.config_events))
        else {
            return;
        };
        spawn_local(async move {
            let result = self.fetch_config().await;
            let current = self
                .handles
                .try_with_value(|handles| (handles.generation, handles.config_events));
            let Some((generation_now, events_now)) = current else {
                return;
            };
            if generation_now != generation {
                return;
            }
            match result {
                Ok(config) => {
                    if events_now == events_before {
                        self.config.set(Some(config));
                    }
                    if self.config_error.with_untracked(Option::is_some) {
                        self.config_error.set(None);
                    }
                }
                // The same error on every poll is announced only once.
                Err(error) => {
                    if self
                        .config_error
                        .with_untracked(|last| last.as_ref() != Some(&error))
                    {
                        self.config_error.set(Some(error));
                    }
                }
            }
            self.polls.update(|count| *count += 1);
        });
    }

    async fn fetch_config(self) -> Result<FeatureServerConfig, ApiError> {
        if self.limits.with_untracked(Option::is_none) {
            let limits = self.session.get::<Limits>(api::LIMITS_URL).await?;
            self.limits.try_set(Some(limits));
        }
        self.session.get(api::CONFIG_URL).await
    }
}

/// Returns whether pods are still starting or stopping.
pub fn is_settling(config: &FeatureServerConfig) -> bool {
    config.available_count != config.desired_count || config.current_count != config.desired_count
}

/// Returns the live source provided at the root of the app.
pub fn use_live() -> Live {
    expect_context::<Live>()
}
