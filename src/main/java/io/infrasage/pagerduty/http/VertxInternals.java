package io.infrasage.pagerduty.http;

import java.lang.reflect.Field;

/**
 * The one place that reaches into Vert.x 4.5's private HTTP server fields, for the guards Camel's platform-http gives no
 * hook for (header deadline, HTTP/1.1 only, JSON answers to malformed requests). Each guard catches the failure of a
 * differently laid-out Vert.x, warns and steps aside.
 */
final class VertxInternals {

    private VertxInternals() {
    }

    /** The field of this name declared by the object's class or one of its superclasses, made accessible. */
    static Field field(Object owner, String name) throws NoSuchFieldException {
        for (Class<?> c = owner.getClass(); c != null; c = c.getSuperclass()) {
            try {
                Field f = c.getDeclaredField(name);
                f.setAccessible(true);
                return f;
            } catch (NoSuchFieldException next) {
                // look in the superclass
            }
        }
        throw new NoSuchFieldException(name);
    }

    /** The value of that field, which must be set. */
    static Object value(Object owner, String name) throws ReflectiveOperationException {
        Object value = field(owner, name).get(owner);
        if (value == null) {
            throw new NoSuchFieldException(name + " is not set");
        }
        return value;
    }
}
