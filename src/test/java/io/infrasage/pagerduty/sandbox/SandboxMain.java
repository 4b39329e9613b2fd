package io.infrasage.pagerduty.sandbox;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Runs the PagerDuty sandbox on 127.0.0.1 until killed, for trying the routes by hand:
 *
 * <pre>
 * mvn -o -q test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.infrasage.pagerduty.sandbox.SandboxMain
 * </pre>
 *
 * Environment: SANDBOX_PORT (18080), SANDBOX_API_TOKEN (sandbox-api-token), SANDBOX_WEBHOOK_URL (none),
 * SANDBOX_WEBHOOK_SECRETS (comma-separated; required with a webhook URL), SANDBOX_RATE_LIMIT (120 per routing key
 * per minute).
 */
public final class SandboxMain {

    private SandboxMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        Map<String, String> env = System.getenv();
        PagerDutySandbox.Builder builder = PagerDutySandbox.builder()
                .port(integer(env, "SANDBOX_PORT", 18080))
                .apiToken(env.getOrDefault("SANDBOX_API_TOKEN", "sandbox-api-token"))
                .rateLimitPerMinute(integer(env, "SANDBOX_RATE_LIMIT", 120))
                .onWebhookAttempt(a -> System.out.printf("webhook %s attempt %d -> %s%s%n", a.eventType(), a.attempt(),
                        a.status() == -1 ? "no answer" : String.valueOf(a.status()),
                        a.error() == null ? "" : " (" + a.error() + ")"));
        String webhookUrl = env.get("SANDBOX_WEBHOOK_URL");
        if (webhookUrl != null && !webhookUrl.isBlank()) {
            List<String> secrets = Arrays.stream(env.getOrDefault("SANDBOX_WEBHOOK_SECRETS", "").split(","))
                    .map(String::trim).filter(s -> !s.isEmpty()).toList();
            if (secrets.isEmpty()) {
                System.err.println("SANDBOX_WEBHOOK_URL is set but SANDBOX_WEBHOOK_SECRETS is empty: "
                        + "PagerDuty always signs webhooks, so the sandbox needs at least one secret.");
                System.exit(2);
            }
            builder.webhook(webhookUrl, secrets);
        }

        PagerDutySandbox sandbox = builder.start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            sandbox.close();
            stopped.countDown();
        }, "pagerduty-sandbox-shutdown"));

        String root = sandbox.rootUrl();
        System.out.println("PagerDuty sandbox listening on " + root + " (loopback only)");
        System.out.println("  Events API v2   POST " + sandbox.eventsUrl());
        System.out.println("  REST API v2     " + root + "   (Authorization: Token token=" + sandbox.apiToken() + ")");
        System.out.println("  Webhooks        " + (webhookUrl == null || webhookUrl.isBlank() ? "none configured"
                : webhookUrl + "  subscription " + sandbox.webhookSubscriptionIds().get(0)));
        System.out.println();
        System.out.println("Control API (JSON in, JSON out):");
        ControlApi.ENDPOINTS.forEach(e -> System.out.println("  " + e));
        System.out.println();
        System.out.println("Try:");
        System.out.println("  curl -s -XPOST " + sandbox.eventsUrl() + " -H 'Content-Type: application/json' -d '"
                + "{\"routing_key\":\"0123456789abcdef0123456789abcdef\",\"event_action\":\"trigger\","
                + "\"dedup_key\":\"demo\",\"payload\":{\"summary\":\"Demo\",\"source\":\"localhost\","
                + "\"severity\":\"critical\"}}'");
        System.out.println("  curl -s " + root + "/sandbox/incidents");
        System.out.println("  curl -s -XPOST " + root + "/sandbox/incidents/<id>/acknowledge -d '{\"user\":\"Alice Example\"}'");
        System.out.println("  curl -s -XPOST " + root + "/sandbox/faults -d '{\"status\":429,\"count\":3,\"retry_after\":1}'");
        System.out.println("Stop with Ctrl-C.");
        stopped.await();
    }

    private static int integer(Map<String, String> env, String name, int fallback) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a number, was '" + value + "'", e);
        }
    }
}
