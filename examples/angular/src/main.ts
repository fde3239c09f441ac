import { provideZonelessChangeDetection } from '@angular/core';
import { bootstrapApplication } from '@angular/platform-browser';
import { AppComponent } from './app/app.component';
import { amqpConfigFromUrl, provideAmqp } from './app/amqp-config';

// The broker and the topic come from the query string: ?url=ws://host:port&topic=chat
bootstrapApplication(AppComponent, {
  providers: [provideZonelessChangeDetection(), provideAmqp(amqpConfigFromUrl(window.location.href))],
}).catch((error: unknown) => console.error(error));
