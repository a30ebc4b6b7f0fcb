import { DynamicModule, FactoryProvider, Module, ModuleMetadata } from '@nestjs/common';
import { AppConfig } from '../../config';
import {
  HOST_RESOLVER,
  IMAGE_INPUT_OPTIONS,
  ImageInputOptionsInput,
  imageInputOptions,
} from './image-input.options';
import { ImageInputService } from './image-input.service';
import { systemResolver } from './url-guard';

const resolverProvider = { provide: HOST_RESOLVER, useValue: systemResolver };

export interface ImageInputModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  readonly inject?: FactoryProvider['inject'];
  readonly useFactory: (...deps: never[]) => ImageInputOptionsInput | Promise<ImageInputOptionsInput>;
}

/** The intake's settings from the gateway's typed config (MAX_BODY_BYTES, MAX_IMAGE_PIXELS, URL_*). */
export function imageInputOptionsFromConfig(config: AppConfig): ImageInputOptionsInput {
  return {
    maxBodyBytes: config.http.maxBodyBytes,
    maxImagePixels: config.ocr.maxImagePixels,
    url: config.urlFetch,
  };
}

/**
 * Provides `ImageInputService`: `forRoot()` in the gateway (settings from the global `AppConfig`),
 * `register(options)` where there is no AppConfig (tests, tools).
 */
@Module({})
export class ImageInputModule {
  static forRoot(): DynamicModule {
    return ImageInputModule.registerAsync({ inject: [AppConfig], useFactory: imageInputOptionsFromConfig });
  }

  static register(input: ImageInputOptionsInput = {}): DynamicModule {
    return {
      module: ImageInputModule,
      providers: [
        { provide: IMAGE_INPUT_OPTIONS, useValue: imageInputOptions(input) },
        resolverProvider,
        ImageInputService,
      ],
      exports: [ImageInputService],
    };
  }

  static registerAsync(options: ImageInputModuleAsyncOptions): DynamicModule {
    return {
      module: ImageInputModule,
      imports: options.imports ?? [],
      providers: [
        {
          provide: IMAGE_INPUT_OPTIONS,
          inject: options.inject ?? [],
          useFactory: async (...deps: never[]) => imageInputOptions(await options.useFactory(...deps)),
        },
        resolverProvider,
        ImageInputService,
      ],
      exports: [ImageInputService],
    };
  }
}
