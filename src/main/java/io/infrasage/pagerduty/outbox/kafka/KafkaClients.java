package io.infrasage.pagerduty.outbox.kafka;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

import org.apache.camel.CamelContext;
import org.apache.camel.component.kafka.KafkaComponent;
import org.apache.camel.component.kafka.KafkaConfiguration;
import org.apache.camel.support.PropertyBindingSupport;
import org.apache.camel.util.StringHelper;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Client settings for Kafka mode: whatever the operator set through Camel's {@code camel.component.kafka.*} (TLS, SASL,
 * client id, timeouts) plus KAFKA_BOOTSTRAP_SERVERS, with the few settings correctness depends on pinned here.
 */
public final class KafkaClients {

    private static final String CAMEL_PREFIX = "camel.component.kafka.";
    /** A metadata answer takes milliseconds where Kafka is up; half a second is one missed, not a slow cluster. */
    private static final Duration MAX_BLOCK = Duration.ofMillis(500);

    private final KafkaConfiguration camel;
    private final String bootstrapServers;
    private final Duration acceptTimeout;

    /**
     * The Kafka component's options as the operator set them: the camel.component.kafka.* properties bound onto the
     * component's configuration here, since this runs before Camel Main configures its components.
     */
    public static KafkaClients fromCamel(CamelContext context, String bootstrapServers, Duration acceptTimeout) {
        KafkaConfiguration config = context.hasComponent("kafka") instanceof KafkaComponent k && k.getConfiguration() != null
                ? k.getConfiguration().copy() : new KafkaConfiguration();
        Map<String, Object> options = new HashMap<>();
        // by name: the Properties Camel returns keep their entries in a map of their own, which forEach does not see
        Properties all = context.getPropertiesComponent().loadProperties();
        for (String k : all.stringPropertyNames()) {
            if (k.startsWith(CAMEL_PREFIX)) {
                options.put(StringHelper.dashToCamelCase(k.substring(CAMEL_PREFIX.length())),
                        context.resolvePropertyPlaceholders(all.getProperty(k)));
            }
        }
        // options of the component itself (not of its clients) are not the configuration's: they are left unbound
        PropertyBindingSupport.build().withIgnoreCase(true).withMandatory(false).bind(context, config, options);
        return new KafkaClients(config, bootstrapServers, acceptTimeout);
    }

    /**
     * @param camel         the Kafka component's configuration, already bound from camel.component.kafka.*
     * @param acceptTimeout the longest a request waits for Kafka (INFRASAGE_ACCEPT_TIMEOUT)
     */
    public KafkaClients(KafkaConfiguration camel, String bootstrapServers, Duration acceptTimeout) {
        this.camel = camel.copy();
        this.camel.setBrokers(bootstrapServers);
        this.bootstrapServers = bootstrapServers;
        this.acceptTimeout = acceptTimeout;
    }

    Duration acceptTimeout() {
        return acceptTimeout;
    }

    /**
     * The longest a send blocks before its record is queued: a topic's metadata not known (right after a broker's
     * restart, say) or the buffer full. A request starts no send with less than this left of its bound, so a send
     * never carries it past the bound (a send that gives up is a 503 the client retries; the metadata keeps coming).
     */
    static Duration maxBlock(Duration acceptTimeout) {
        Duration half = acceptTimeout.dividedBy(2);
        return half.compareTo(MAX_BLOCK) < 0 ? half : MAX_BLOCK;
    }

    /** Accepting means durable: every in-sync replica has it (acks=all), and a retried send is never written twice. */
    Properties producer() {
        Properties p = camel.createProducerProperties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        // an accept waits for its record: do not hold it back to fill a batch
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(maxBlock(acceptTimeout).toMillis()));
        return p;
    }

    /**
     * Offsets are committed by the bundle itself, only below what is done; a group without offsets starts at the
     * beginning, so nothing produced before the first instance joined is skipped.
     */
    Properties consumer(String group) {
        Properties p = camel.createConsumerProperties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        if (group == null) {
            p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        } else {
            p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        }
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        return p;
    }

    /** The admin client shares the connection settings (bootstrap, TLS, SASL) of the consumers. */
    Properties admin() {
        Properties consumer = camel.createConsumerProperties();
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        consumer.stringPropertyNames().stream()
                .filter(k -> k.startsWith("bootstrap.") || k.startsWith("security.") || k.startsWith("ssl.") || k.startsWith("sasl.")
                        || k.equals("client.id") || k.equals("request.timeout.ms"))
                .forEach(k -> p.put(k, consumer.getProperty(k)));
        return p;
    }
}
