// Real Java client (kafka-clients 3.9.1, the broker's own jar) for the Kafka fixture with
// flexible versions: Produce v9+, Fetch v12+ (topic ids from v13), request header v2.
// Produces 3 records (acks all) and reads them back with assign() (no group).
// Usage: java -cp '<kafka libs>/*' JavaClient.java <topic>
import java.time.Duration;
import java.util.*;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.*;

public class JavaClient {
  public static void main(String[] args) throws Exception {
    String topic = args[0];
    Properties common = new Properties();
    common.put("bootstrap.servers", "127.0.0.1:9092");
    try (Admin admin = Admin.create(common)) {
      admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
    }
    Properties p = new Properties();
    p.putAll(common);
    p.put("client.id", "fixture-java-producer");
    p.put("acks", "all");
    p.put("linger.ms", "0");
    try (KafkaProducer<String, String> prod = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      for (int i = 0; i < 3; i++) prod.send(new ProducerRecord<>(topic, "k" + i, "value-" + i)).get();
    }
    Properties c = new Properties();
    c.putAll(common);
    c.put("client.id", "fixture-java-consumer");
    c.put("auto.offset.reset", "earliest");
    c.put("fetch.max.wait.ms", "200");
    int seen = 0;
    try (KafkaConsumer<String, String> cons = new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer())) {
      cons.assign(List.of(new TopicPartition(topic, 0)));
      long until = System.currentTimeMillis() + 15000;
      while (seen < 3 && System.currentTimeMillis() < until) seen += cons.poll(Duration.ofMillis(300)).count();
    }
    System.out.println("ok " + seen + " records");
  }
}
