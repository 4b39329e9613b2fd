package io.infrasage.pagerduty.bench;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.http.HttpServerOptions;

/**
 * The ceiling of the HTTP layer on this machine: a bare Vert.x server (the same Vert.x the bundle's platform-http runs
 * on, default options as Camel creates it) that reads the request body and answers 202 with a small JSON body, nothing
 * else. Loaded with the same generator as the bundle, its figures are what HTTP alone costs here, load generator
 * included. Binds 127.0.0.1 only.
 *
 * <pre>java -cp target/test-classes:target/classes:$(cat target/test-classpath.txt) io.infrasage.pagerduty.bench.BareResponder 19094</pre>
 */
public final class BareResponder {

    private BareResponder() {
    }

    public static void main(String[] args) {
        int port = Integer.parseInt(args[0]);
        Vertx vertx = Vertx.vertx(new VertxOptions().setFileSystemOptions(new FileSystemOptions()
                .setFileCachingEnabled(false).setClassPathResolvingEnabled(false)));
        Buffer answer = Buffer.buffer("{\"status\":\"queued\"}");
        vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port))
                .requestHandler(req -> req.body().onComplete(body -> req.response().setStatusCode(202)
                        .putHeader("Content-Type", "application/json").end(answer)))
                .listen()
                .onSuccess(s -> System.out.println("bare Vert.x responder on 127.0.0.1:" + s.actualPort()))
                .onFailure(e -> {
                    e.printStackTrace();
                    System.exit(1);
                });
    }
}
