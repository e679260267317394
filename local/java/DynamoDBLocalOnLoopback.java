import java.io.File;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Runs DynamoDB Local listening on one address only: loopback, unless -Dxsell.host says otherwise.
 *
 * <p>DynamoDB Local has no option for its listening address and binds every interface. This builds
 * its server exactly as its own main class does, from the same command line, then sets the host
 * (and a listen backlog that holds a burst of new connections) on the server's connectors before
 * starting it. Reflection only, so that it compiles against java.base alone.
 *
 * <p>{@code java DynamoDBLocalOnLoopback.java --compile-to DIR} compiles this file into DIR once
 * (a Java runtime carries the compiler module; no JDK needed); then
 * {@code java -cp DynamoDBLocal.jar:DIR DynamoDBLocalOnLoopback -inMemory -port N ...} runs it.
 */
public final class DynamoDBLocalOnLoopback {
    private DynamoDBLocalOnLoopback() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 3 && args[0].equals("--compile-to")) {
            System.exit(compile(new File(args[2]), new File(args[1])));
        }
        String host = System.getProperty("xsell.host", "127.0.0.1");
        int backlog = Integer.getInteger("xsell.backlog", 512);
        Class<?> runner = Class.forName("software.amazon.dynamodb.services.local.main.ServerRunner");
        Method create = runner.getMethod("createServerFromCommandLineArgs", String[].class);
        Object proxy = create.invoke(null, (Object) args);
        if (proxy == null) {
            System.exit(2); // bad arguments: DynamoDB Local has printed its usage
        }
        Field serverField = proxy.getClass().getDeclaredField("server");
        serverField.setAccessible(true);
        Object jetty = serverField.get(proxy);
        Object[] connectors = (Object[]) jetty.getClass().getMethod("getConnectors").invoke(jetty);
        if (connectors.length == 0) {
            throw new IllegalStateException("DynamoDB Local's server has no connector to bind");
        }
        for (Object connector : connectors) {
            connector.getClass().getMethod("setHost", String.class).invoke(connector, host);
            connector.getClass().getMethod("setAcceptQueueSize", int.class).invoke(connector, backlog);
        }
        proxy.getClass().getMethod("start").invoke(proxy);
        System.out.println("DynamoDB Local listening on " + host);
        proxy.getClass().getMethod("join").invoke(proxy);
    }

    private static int compile(File source, File outDir) {
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        if (compiler == null) {
            System.err.println("this Java runtime has no compiler module (jdk.compiler)");
            return 3;
        }
        List<String> args = List.of("-d", outDir.getPath(), source.getPath());
        return compiler.run(null, null, null, args.toArray(new String[0]));
    }
}
