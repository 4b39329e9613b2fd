package io.infrasage.pagerduty.outbox;

import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;

/**
 * The delivery route's HTTP client configuration: each attempt is one request. HttpClient 5.5 re-sends a 429 or 503
 * by itself (after Retry-After), which would bypass the routing key's pace and hide the answer from the outcome step.
 */
public final class OneRequestPerAttempt implements HttpClientConfigurer {

    @Override
    public void configureHttpClient(HttpClientBuilder clientBuilder) {
        clientBuilder.disableAutomaticRetries();
    }
}
