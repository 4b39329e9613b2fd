package io.infrasage.pagerduty.outbox.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Properties;

import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

/** Operators set Kafka client options the Camel way (camel.component.kafka.*); correctness settings stay pinned. */
class KafkaClientsTest {

    static KafkaClients clients(Properties camelProperties) throws Exception {
        DefaultCamelContext context = new DefaultCamelContext();
        context.getPropertiesComponent().setInitialProperties(camelProperties);
        return KafkaClients.fromCamel(context, "kafka-1:9092,kafka-2:9092", java.time.Duration.ofSeconds(5));
    }

    @Test
    void camelComponentKafkaPropertiesReachEveryClient() throws Exception {
        Properties p = new Properties();
        p.setProperty("camel.component.kafka.session-timeout-ms", "10000");
        p.setProperty("camel.component.kafka.security-protocol", "SASL_SSL");
        p.setProperty("camel.component.kafka.sasl-mechanism", "SCRAM-SHA-512");
        KafkaClients clients = clients(p);

        assertThat(clients.consumer("g")).containsEntry("session.timeout.ms", 10000).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512").containsEntry("bootstrap.servers", "kafka-1:9092,kafka-2:9092");
        assertThat(clients.producer()).containsEntry("security.protocol", "SASL_SSL");
        assertThat(clients.admin()).containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("bootstrap.servers", "kafka-1:9092,kafka-2:9092");
    }

    @Test
    void acceptingIsDurableAndOffsetsAreTheBundlesWhateverTheOperatorSets() throws Exception {
        Properties p = new Properties();
        p.setProperty("camel.component.kafka.request-required-acks", "1");
        p.setProperty("camel.component.kafka.auto-commit-enable", "true");
        p.setProperty("camel.component.kafka.max-block-ms", "60000");
        KafkaClients clients = clients(p);

        assertThat(clients.producer()).containsEntry("acks", "all").containsEntry("enable.idempotence", "true");
        // a send never blocks a request for long (a topic's metadata missing after a broker's restart)
        assertThat(clients.producer()).containsEntry("max.block.ms", "500");
        assertThat(clients.consumer("g")).containsEntry("enable.auto.commit", "false").containsEntry("group.id", "g");
    }
}
