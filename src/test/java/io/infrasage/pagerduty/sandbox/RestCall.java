package io.infrasage.pagerduty.sandbox;

import java.time.Instant;

/** One REST API request the sandbox received: when it arrived, its method and its path. */
public record RestCall(Instant at, String method, String path) {
}
