package io.infrasage.pagerduty.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class StrictJsonTest {

    private static String problem(String body) {
        InvalidRequestException e = catchThrowableOfType(InvalidRequestException.class,
                () -> StrictJson.read(body.getBytes(StandardCharsets.UTF_8), "invalid anomaly"));
        assertThat(e).as(body).isNotNull();
        assertThat(e.status()).isEqualTo(400);
        assertThat(e.error()).isEqualTo("invalid anomaly");
        String problem = e.problems().get(0);
        assertThat(problem).doesNotContainIgnoringCase("jackson").doesNotContain("com.fasterxml").doesNotContain("`")
                .doesNotContain("DeserializationFeature");
        return problem;
    }

    @Test
    void aKeyGivenTwiceIsRefusedNamingTheKey() {
        assertThat(problem("{\"anomaly_id\":\"a\",\"score\":0.1,\"score\":0.9}"))
                .startsWith("body has the key 'score' twice in one object (line 1, column");
        assertThat(problem("{\"a\":{\"b\":1,\"b\":2}}")).contains("'b' twice");
    }

    @Test
    void anythingAfterTheDocumentIsRefused() {
        assertThat(problem("{\"score\":0.9} {\"score\":0.1}")).startsWith("body has more after the JSON document");
        assertThat(problem("{\"score\":0.9}garbage")).startsWith("body is not valid JSON (line 1, column ");
        assertThat(problem("{\"score\":0.9}]")).isEqualTo("body is not valid JSON (line 1, column 14)");
    }

    @Test
    void brokenJsonIsRefusedWithItsPositionOnly() {
        assertThat(problem("{\"score\":")).startsWith("body ends before the JSON document does");
        assertThat(problem("{score: 1}")).isEqualTo("body is not valid JSON (line 1, column 2)");
    }

    @Test
    void oneDocumentWithWhitespaceAroundIsRead() {
        assertThat(StrictJson.read(" {\"score\":0.9}\n ", "x").get("score").asDouble()).isEqualTo(0.9);
    }
}
