package io.infrasage.pagerduty.http;

import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.ext.web.Router;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A request's headers must be complete within INFRASAGE_HTTP_HEADER_TIMEOUT of its first byte, else it is answered
 * 408 in JSON and the connection closed: a client that drips its headers a byte at a time, faster than the idle
 * timeout, would otherwise keep its connection for days. Vert.x 4 has no such deadline and Camel starts the server
 * itself, so this wraps the listening server's hand-over of each new connection (Vert.x 4.5 internals; when they are
 * not found a warning says so and only the idle timeout applies). An idle keep-alive connection is not timed by this: the clock
 * starts with the next request's first byte. Connections upgraded to HTTP/2 (h2c) are left alone.
 */
public final class HeaderDeadline {

    private static final Logger LOG = LoggerFactory.getLogger(HeaderDeadline.class);
    private static final String START = "infrasage-header-deadline";
    /** The encoder of Vert.x 4.5's HTTP/1.x pipeline: present once a connection speaks HTTP/1.x, gone after an h2c upgrade. */
    private static final String HTTP_ENCODER = "httpEncoder";

    private final long millis;
    private final byte[] answer;

    public HeaderDeadline(Duration deadline) {
        this.millis = Math.max(1, deadline.toMillis());
        byte[] body = new JsonObject().put("error", "request timeout").put("problems", new JsonArray()
                .add("the request headers did not arrive within " + millis + " ms; send them at once")).encode()
                .getBytes(StandardCharsets.UTF_8);
        byte[] head = ("HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        this.answer = new byte[head.length + body.length];
        System.arraycopy(head, 0, answer, 0, head.length);
        System.arraycopy(body, 0, answer, head.length, body.length);
    }

    /**
     * Wraps the listening server's set-up of each new channel (its own and, when Vert.x shares the port, the actual
     * server's); false (with a warning) when Vert.x is laid out otherwise.
     */
    @SuppressWarnings("unchecked")
    public boolean installOn(HttpServer server) {
        try {
            Object actual = VertxInternals.field(server, "actualServer").get(server);
            boolean wrapped = wrap(server);
            if (actual != null && actual != server) {
                wrapped |= wrap(actual);
            }
            if (!wrapped) {
                throw new IllegalStateException("the server does not listen yet");
            }
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("no deadline for request headers on this Vert.x ({}); only the idle timeout applies", e.toString());
            return false;
        }
    }

    @SuppressWarnings("unchecked")
    private boolean wrap(Object server) throws ReflectiveOperationException {
        Field childHandler = VertxInternals.field(server, "childHandler");
        BiConsumer<Channel, Object> original = (BiConsumer<Channel, Object>) childHandler.get(server);
        if (original == null) {
            return false;
        }
        childHandler.set(server, (BiConsumer<Channel, Object>) (channel, ssl) -> {
            channel.pipeline().addFirst(START, new Start());
            original.accept(channel, ssl);
        });
        return true;
    }

    /**
     * On the server's router, first: a request that reaches it has all its headers, so its clock stops, and once its
     * answer is written the connection waits for the next request's first byte.
     */
    public void installOn(Router router) {
        router.route().order(-3_000).handler(ctx -> {
            Start start = startOf(ctx.request().connection());
            if (start != null) {
                start.headersComplete();
                ctx.addEndHandler(done -> start.answered());
            }
            ctx.next();
        });
    }

    private static Start startOf(Object connection) {
        if (connection instanceof ConnectionBase base && base.channel().pipeline().get(START) instanceof Start start) {
            return start;
        }
        return null;
    }

    /** First in the channel's pipeline: sees every byte, starts the clock when a new request begins. */
    private final class Start extends ChannelInboundHandlerAdapter {
        private boolean inRequest;
        private boolean sawHttp1;
        private ScheduledFuture<?> timer;
        private ChannelHandlerContext ctx;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            if (!inRequest && timer == null) {
                timer = ctx.channel().eventLoop().schedule(this::expire, millis, TimeUnit.MILLISECONDS);
            }
            ctx.fireChannelRead(msg);
            if (ctx.pipeline().get(HTTP_ENCODER) != null) {
                sawHttp1 = true;
            } else if (sawHttp1 || !undecided(ctx)) {
                // upgraded to HTTP/2 (h2c), or HTTP/2 from the first byte: streams, not requests in a row; not ours to time
                disarm();
                if (ctx.pipeline().context(this) != null) {
                    ctx.pipeline().remove(this); // Vert.x may have rebuilt the pipeline without it already
                }
            }
        }

        /** Vert.x has not yet seen enough bytes to tell HTTP/1.x from HTTP/2: its detector is still in the pipeline. */
        private boolean undecided(ChannelHandlerContext ctx) {
            for (Map.Entry<String, io.netty.channel.ChannelHandler> h : ctx.pipeline()) {
                if (h.getValue().getClass().getName().startsWith("io.vertx.core.http.impl.HttpServerWorker")) {
                    return true;
                }
            }
            return false;
        }

        void headersComplete() {
            inRequest = true;
            disarm();
        }

        void answered() {
            inRequest = false;
        }

        private void disarm() {
            if (timer != null) {
                timer.cancel(false);
                timer = null;
            }
        }

        private void expire() {
            timer = null;
            if (!inRequest && ctx.channel().isActive()) {
                // written from the head of the pipeline, as raw bytes: Vert.x has not seen this request
                ctx.writeAndFlush(Unpooled.wrappedBuffer(answer)).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            disarm();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            disarm();
            super.channelInactive(ctx);
        }
    }
}
