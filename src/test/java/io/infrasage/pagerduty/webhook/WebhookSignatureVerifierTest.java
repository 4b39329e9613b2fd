package io.infrasage.pagerduty.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import io.infrasage.pagerduty.BundleMetrics;
import io.infrasage.pagerduty.webhook.WebhookSignatureVerifier.Refusal;
import org.junit.jupiter.api.Test;

class WebhookSignatureVerifierTest {

    private static final String SECRET = "whsec-current-5f2b8e";
    private static final String NEXT_SECRET = "whsec-next-91c4d0";
    private static final String RETIRED_SECRET = "whsec-retired-00aa11";
    private static final byte[] BODY = ("{\"event\":{\"id\":\"01DEN4HPBQAAAG05V5QQYBRZMF\",\"event_type\":\"incident.acknowledged\","
            + "\"resource_type\":\"incident\",\"occurred_at\":\"2020-10-02T18:45:22.169Z\",\"agent\":null,"
            + "\"client\":null,\"data\":{\"id\":\"PGR0VU2\",\"type\":\"incident\"}}}").getBytes(StandardCharsets.UTF_8);

    private final WebhookSignatureVerifier verifier = new WebhookSignatureVerifier(List.of(SECRET), false, new BundleMetrics());

    /** PagerDuty's signature, computed independently of the code under test: "v1=" + lower-case hex HMAC-SHA256. */
    private static String sign(String secret, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return "v1=" + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void bodySignedWithTheConfiguredSecretIsGenuine() {
        assertThat(verifier.check(BODY, sign(SECRET, BODY))).isNull();
    }

    @Test
    void bodyAlteredByOneByteIsASignatureMismatch() {
        String header = sign(SECRET, BODY);
        byte[] tampered = BODY.clone();
        tampered[tampered.length - 5] ^= 1;

        assertThat(verifier.check(tampered, header)).isEqualTo(Refusal.SIGNATURE_MISMATCH);
    }

    @Test
    void bodySignedWithARetiredSecretIsASignatureMismatch() {
        assertThat(verifier.check(BODY, sign(RETIRED_SECRET, BODY))).isEqualTo(Refusal.SIGNATURE_MISMATCH);
    }

    @Test
    void headerWithTwoSignaturesIsGenuineWhenOnlyTheSecondMatches() {
        String header = sign(RETIRED_SECRET, BODY) + "," + sign(SECRET, BODY);

        assertThat(verifier.check(BODY, header)).isNull();
    }

    @Test
    void headerWithTwoSignaturesIsGenuineWhenOnlyTheFirstMatches() {
        String header = sign(SECRET, BODY) + ", " + sign(RETIRED_SECRET, BODY);

        assertThat(verifier.check(BODY, header)).isNull();
    }

    @Test
    void duringRotationABodySignedWithEitherConfiguredSecretIsGenuine() {
        WebhookSignatureVerifier rotating = new WebhookSignatureVerifier(List.of(SECRET, NEXT_SECRET), false,
                new BundleMetrics());

        assertThat(rotating.check(BODY, sign(SECRET, BODY))).isNull();
        assertThat(rotating.check(BODY, sign(NEXT_SECRET, BODY))).isNull();
        assertThat(rotating.check(BODY, sign(RETIRED_SECRET, BODY))).isEqualTo(Refusal.SIGNATURE_MISMATCH);
    }

    @Test
    void entriesWithAnotherVersionPrefixAreIgnoredEvenWhenTheirHmacMatches() {
        String rightHex = sign(SECRET, BODY).substring("v1=".length());

        assertThat(verifier.check(BODY, "v0=" + rightHex)).isEqualTo(Refusal.MALFORMED_SIGNATURE);
        assertThat(verifier.check(BODY, "v0=" + rightHex + "," + sign(RETIRED_SECRET, BODY)))
                .isEqualTo(Refusal.SIGNATURE_MISMATCH);
        assertThat(verifier.check(BODY, "v0=deadbeef," + sign(SECRET, BODY))).isNull();
    }

    @Test
    void missingHeaderIsMissingSignature() {
        assertThat(verifier.check(BODY, null)).isEqualTo(Refusal.MISSING_SIGNATURE);
    }

    @Test
    void blankHeaderIsMissingSignature() {
        assertThat(verifier.check(BODY, "  ")).isEqualTo(Refusal.MISSING_SIGNATURE);
    }

    @Test
    void nonHexSignatureIsMalformed() {
        assertThat(verifier.check(BODY, "v1=nothex")).isEqualTo(Refusal.MALFORMED_SIGNATURE);
    }

    @Test
    void sixtyFourNonHexCharactersAreMalformed() {
        assertThat(verifier.check(BODY, "v1=" + "zz".repeat(32))).isEqualTo(Refusal.MALFORMED_SIGNATURE);
    }

    @Test
    void truncatedSignatureIsMalformed() {
        String right = sign(SECRET, BODY);

        assertThat(verifier.check(BODY, right.substring(0, right.length() - 1))).isEqualTo(Refusal.MALFORMED_SIGNATURE);
    }

    @Test
    void upperCaseHexOfTheRightHmacIsAccepted() {
        // PagerDuty sends lower-case hex. The verifier decodes the hex to bytes with HexFormat.parseHex, which is
        // case-insensitive, and compares bytes: upper case is the same HMAC, so it is accepted. That is harmless (no
        // signature without the secret is accepted) and is what the code does.
        String upper = "v1=" + sign(SECRET, BODY).substring("v1=".length()).toUpperCase();

        assertThat(verifier.check(BODY, upper)).isNull();
    }

    @Test
    void withoutConfiguredSecretsNothingMatches() {
        WebhookSignatureVerifier none = new WebhookSignatureVerifier(List.of(), false, new BundleMetrics());

        assertThat(none.check(BODY, sign(SECRET, BODY))).isEqualTo(Refusal.SIGNATURE_MISMATCH);
    }

    @Test
    void emptyBodyIsVerifiedLikeAnyOther() {
        byte[] empty = new byte[0];

        assertThat(verifier.check(empty, sign(SECRET, empty))).isNull();
        assertThat(verifier.check(empty, sign(SECRET, BODY))).isEqualTo(Refusal.SIGNATURE_MISMATCH);
    }
}
