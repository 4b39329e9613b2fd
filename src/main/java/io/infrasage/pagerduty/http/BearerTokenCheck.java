package io.infrasage.pagerduty.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;

import org.apache.camel.Header;

/** Optional protection of the anomaly API: "Authorization: Bearer <INFRASAGE_API_TOKEN>", compared in constant time. */
public final class BearerTokenCheck {

    private final Optional<byte[]> token;

    public BearerTokenCheck(Optional<String> token) {
        this.token = token.map(t -> t.getBytes(StandardCharsets.UTF_8));
    }

    public void check(@Header("Authorization") String authorization) {
        if (token.isEmpty()) {
            return;
        }
        String given = authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                ? authorization.substring(7).trim() : "";
        if (!MessageDigest.isEqual(token.get(), given.getBytes(StandardCharsets.UTF_8))) {
            throw new InvalidRequestException(401, "unauthorized",
                    List.of("send 'Authorization: Bearer <token>' with the token configured in INFRASAGE_API_TOKEN"));
        }
    }
}
