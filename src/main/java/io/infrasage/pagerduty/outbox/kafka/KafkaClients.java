package io.infrasage.pagerduty.outbox.kafka;

import java.time.Duration;
import java.util.Properties;

import org.apache.camel.CamelContext;
import org.apache.camel.component.kafka.KafkaComponent;
import org.apache.camel.component.kafka.KafkaConfiguration;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The Kafka clients of Kafka mode, configured by camel-kafka's component configuration: whatever the operator set
 * through {@code camel.component.kafka.*} (TLS, SASL, client id, timeouts) is bound onto it by Camel, and the brokers
 * come from KAFKA_BOOTSTRAP_SERVERS; only the few settings correctness depends on are pinned here. Properties are read
 * when a client is made, so clients made once Camel has started see everything Camel bound.
 */
public final class KafkaClients implements AutoCloseable {

    /** A metadata answer takes milliseconds where Kafka is up; half a second is one missed, not a slow cluster. */
    private static final Duration MAX_BLOCK = Duration.ofMillis(500);

    private final KafkaConfiguration camel;
    private final Duration acceptTimeout;
    private Producer<String, String> producer;
    private Admin admin;

    /** The Kafka component's configuration, the one camel.component.kafka.* binds to and the rows route uses too. */
    public static KafkaClients fromCamel(CamelContext context, String bootstrapServers, Duration acceptTimeout) {
        return new KafkaClients(context.getComponent("kafka", KafkaComponent.class).getConfiguration(), bootstrapServers, acceptTimeout);
    }

    /**
     * @param camel         a Kafka component's configuration (kept, not copied: Camel may bind it after this)
     * @param acceptTimeout the longest a request waits for Kafka (INFRASAGE_ACCEPT_TIMEOUT)
     */
    public KafkaClients(KafkaConfiguration camel, String bootstrapServers, Duration acceptTimeout) {
        this.camel = camel;
        this.camel.setBrokers(bootstrapServers);
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
    Properties producerProperties() {
        Properties p = camel.createProducerProperties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, camel.getBrokers());
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
    Properties consumerProperties(String group) {
        Properties p = camel.createConsumerProperties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, camel.getBrokers());
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
    Properties adminProperties() {
        Properties consumer = camel.createConsumerProperties();
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, camel.getBrokers());
        consumer.stringPropertyNames().stream()
                .filter(k -> k.startsWith("bootstrap.") || k.startsWith("security.") || k.startsWith("ssl.") || k.startsWith("sasl.")
                        || k.equals("client.id") || k.equals("request.timeout.ms"))
                .forEach(k -> p.put(k, consumer.get(k)));
        return p;
    }

    org.apache.kafka.clients.consumer.KafkaConsumer<String, String> consumer(String group) {
        return new org.apache.kafka.clients.consumer.KafkaConsumer<>(consumerProperties(group));
    }

    /** The one producer of this instance's accepts, outcomes and rows (made at its first use). */
    synchronized Producer<String, String> producer() {
        if (producer == null) {
            producer = new KafkaProducer<>(producerProperties());
        }
        return producer;
    }

    /** The one admin client (topics, end offsets, writability looks), made at its first use. */
    synchronized Admin admin() {
        if (admin == null) {
            admin = Admin.create(adminProperties());
        }
        return admin;
    }

    @Override
    public synchronized void close() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
            producer = null;
        }
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
            admin = null;
        }
    }
}
