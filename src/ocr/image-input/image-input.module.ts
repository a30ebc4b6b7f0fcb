import { DynamicModule, FactoryProvider, Module, ModuleMetadata } from '@nestjs/common';
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

/**
 * Provides `ImageInputService`. `registerAsync` takes its settings from the typed config, e.g.
 * `{ inject: [AppConfig], useFactory: (config: AppConfig) => ({ maxBodyBytes: ..., url: ... }) }`.
 */
@Module({})
export class ImageInputModule {
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
