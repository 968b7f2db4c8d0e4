package dev.layerfs.imaged.client;

import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.util.concurrent.Flow;

/** A request body that reports each buffer to a {@link Progress} as it is handed to the connection. */
final class CountingPublisher implements HttpRequest.BodyPublisher {

    private final HttpRequest.BodyPublisher body;
    private final Progress progress;

    private CountingPublisher(HttpRequest.BodyPublisher body, Progress progress) {
        this.body = body;
        this.progress = progress;
    }

    static HttpRequest.BodyPublisher of(HttpRequest.BodyPublisher body, Progress progress) {
        return new CountingPublisher(body, progress);
    }

    @Override
    public long contentLength() {
        return body.contentLength();
    }

    @Override
    public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
        body.subscribe(new Flow.Subscriber<ByteBuffer>() {
            @Override
            public void onSubscribe(Flow.Subscription subscription) {
                subscriber.onSubscribe(subscription);
            }

            @Override
            public void onNext(ByteBuffer item) {
                progress.advance(item.remaining());
                subscriber.onNext(item);
            }

            @Override
            public void onError(Throwable throwable) {
                subscriber.onError(throwable);
            }

            @Override
            public void onComplete() {
                subscriber.onComplete();
            }
        });
    }
}
