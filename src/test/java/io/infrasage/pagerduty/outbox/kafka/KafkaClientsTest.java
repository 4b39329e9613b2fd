package io.infrasage.pagerduty.outbox.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.Test;

/**
 * Operators set Kafka client options the Camel way (camel.component.kafka.*), which Camel Main binds onto the Kafka
 * component's configuration (after the bundle's configuration has run, as here); correctness settings stay pinned.
 */
class KafkaClientsTest {

    static KafkaClients clients(Properties camelProperties) throws Exception {
        Main main = new Main();
        main.setInitialProperties(camelProperties);
        AtomicReference<KafkaClients> clients = new AtomicReference<>();
        main.configure().addConfiguration(new CamelConfiguration() {
            @Override
            public void configure(CamelContext camel) {
                clients.set(KafkaClients.fromCamel(camel, "kafka-1:9092,kafka-2:9092", java.time.Duration.ofSeconds(5)));
            }
        });
        main.start();
        try {
            return clients.get();
        } finally {
            main.stop();
        }
    }

    @Test
    void camelComponentKafkaPropertiesReachEveryClient() throws Exception {
        Properties p = new Properties();
        p.setProperty("camel.component.kafka.session-timeout-ms", "10000");
        p.setProperty("camel.component.kafka.security-protocol", "SASL_SSL");
        p.setProperty("camel.component.kafka.sasl-mechanism", "SCRAM-SHA-512");
        KafkaClients clients = clients(p);

        assertThat(clients.consumerProperties("g")).containsEntry("session.timeout.ms", 10000).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512").containsEntry("bootstrap.servers", "kafka-1:9092,kafka-2:9092");
        assertThat(clients.producerProperties()).containsEntry("security.protocol", "SASL_SSL");
        assertThat(clients.adminProperties()).containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("bootstrap.servers", "kafka-1:9092,kafka-2:9092");
    }

    @Test
    void acceptingIsDurableAndOffsetsAreTheBundlesWhateverTheOperatorSets() throws Exception {
        Properties p = new Properties();
        p.setProperty("camel.component.kafka.request-required-acks", "1");
        p.setProperty("camel.component.kafka.auto-commit-enable", "true");
        p.setProperty("camel.component.kafka.max-block-ms", "60000");
        KafkaClients clients = clients(p);

        assertThat(clients.producerProperties()).containsEntry("acks", "all").containsEntry("enable.idempotence", "true");
        // a send never blocks a request for long (a topic's metadata missing after a broker's restart)
        assertThat(clients.producerProperties()).containsEntry("max.block.ms", "500");
        assertThat(clients.consumerProperties("g")).containsEntry("enable.auto.commit", "false").containsEntry("group.id", "g");
    }
}
