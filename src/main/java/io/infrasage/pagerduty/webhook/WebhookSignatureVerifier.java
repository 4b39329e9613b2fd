package io.infrasage.pagerduty.webhook;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import io.infrasage.pagerduty.BundleMetrics;
import io.infrasage.pagerduty.http.InvalidRequestException;
import org.apache.camel.Exchange;

/**
 * PagerDuty Webhooks v3 signatures: X-PagerDuty-Signature carries "v1=" + lower-case hex HMAC-SHA256(secret, raw body),
 * several comma-separated during a secret rotation. Accepted when ANY v1 signature matches ANY configured secret,
 * compared in constant time; entries with other version prefixes are ignored. Also bounds the body at PagerDuty's
 * 256 KB, so nothing larger is ever hashed or parsed.
 */
public final class WebhookSignatureVerifier {

    public static final String SIGNATURE_HEADER = "X-PagerDuty-Signature";
    /** PagerDuty delivers up to 256 KB (best effort above 55 KB) and drops anything larger itself. */
    public static final int MAX_BODY_BYTES = 256 * 1024;
    /** PagerDuty disables a subscription after this many dropped (4xx) deliveries in a row. */
    public static final int THREE_STRIKES = 3;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(WebhookSignatureVerifier.class);
    private static final String VERSION = "v1=";
    /** HMAC-SHA256 is 32 bytes: 64 hex characters. */
    private static final int SIGNATURE_HEX_LENGTH = 64;

    private final List<byte[]> secrets;
    private final boolean insecure;
    private final BundleMetrics metrics;

    public WebhookSignatureVerifier(List<String> secrets, boolean insecure, BundleMetrics metrics) {
        this.secrets = secrets.stream().map(s -> s.getBytes(StandardCharsets.UTF_8)).toList();
        this.insecure = insecure && secrets.isEmpty();
        this.metrics = metrics;
    }

    /** Why a webhook is refused; the name is what the 401 answer and the refusal metric carry. */
    public enum Refusal {
        MISSING_SIGNATURE("missing X-PagerDuty-Signature header"),
        MALFORMED_SIGNATURE("X-PagerDuty-Signature has no well-formed v1 signature"),
        SIGNATURE_MISMATCH("no signature matches a configured secret");

        final String message;

        Refusal(String message) {
            this.message = message;
        }
    }

    /** Route step: leaves the raw body as bytes for the next steps, or refuses the request. */
    public void verify(Exchange exchange) {
        byte[] body = exchange.getMessage().getBody(byte[].class);
        if (body == null) {
            body = new byte[0];
        }
        if (body.length > MAX_BODY_BYTES) {
            metrics.webhook("unverified", "too_large");
            throw new InvalidRequestException(413, "webhook too large",
                    List.of("body has " + body.length + " bytes; PagerDuty webhooks are at most " + MAX_BODY_BYTES));
        }
        exchange.getMessage().setBody(body);
        if (insecure) {
            return;
        }
        Refusal refusal = check(body, exchange.getMessage().getHeader(SIGNATURE_HEADER, String.class));
        if (refusal != null) {
            metrics.webhook("unverified", "refused");
            long inARow = metrics.webhooksRefusedInARow();
            if (inARow >= THREE_STRIKES) {
                // PagerDuty disables a subscription after 3 dropped deliveries in a row, and then sends nothing for 24 h
                LOG.error("WEBHOOKS REFUSED: {} deliveries in a row had no valid signature ({}). If they come from PagerDuty, "
                        + "PAGERDUTY_WEBHOOK_SECRETS does not hold the subscription's secret and PagerDuty has now disabled "
                        + "the subscription: fix the secret, then re-enable the subscription in PagerDuty. The self-healing "
                        + "sync (PAGERDUTY_API_TOKEN) fills in acknowledgements and resolutions meanwhile.", inARow, refusal.message);
            }
            throw new WebhookRefusedException(refusal);
        }
    }

    /** @return null when genuine, else why not */
    public Refusal check(byte[] body, String header) {
        if (header == null || header.isBlank()) {
            return Refusal.MISSING_SIGNATURE;
        }
        boolean wellFormed = false;
        for (String entry : header.split(",")) {
            String e = entry.trim();
            if (!e.startsWith(VERSION)) {
                continue;
            }
            String hex = e.substring(VERSION.length());
            if (hex.length() != SIGNATURE_HEX_LENGTH) {
                continue;
            }
            byte[] given;
            try {
                given = HexFormat.of().parseHex(hex);
            } catch (IllegalArgumentException notHex) {
                continue;
            }
            wellFormed = true;
            for (byte[] secret : secrets) {
                if (MessageDigest.isEqual(hmac(secret, body), given)) {
                    return null;
                }
            }
        }
        return wellFormed ? Refusal.SIGNATURE_MISMATCH : Refusal.MALFORMED_SIGNATURE;
    }

    static byte[] hmac(byte[] secret, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return mac.doFinal(body);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /** A forged, unsigned or tampered webhook: 401, nothing processed. */
    public static final class WebhookRefusedException extends InvalidRequestException {
        private final Refusal refusal;

        WebhookRefusedException(Refusal refusal) {
            super(401, "webhook signature refused", List.of(refusal.message));
            this.refusal = refusal;
        }

        public Refusal refusal() {
            return refusal;
        }
    }
}
