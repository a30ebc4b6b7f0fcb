import { createHash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import sharp from 'sharp';
import { ImageInputModule } from './image-input.module';
import { ConfigModule, loadConfig } from '../../config';
import {
  HOST_RESOLVER,
  IMAGE_INPUT_OPTIONS,
  ImageInputOptions,
  imageInputOptions,
} from './image-input.options';
import { ImageInputService } from './image-input.service';
import { HostResolver } from './url-guard';
import { apiErrorOf } from '../../common/testing/api-error-of';

describe(ImageInputService.name, () => {
  let png: Buffer;
  let gif: Buffer;
  const asked: string[] = [];
  const resolver: HostResolver = (hostname) => {
    asked.push(hostname);
    return Promise.resolve([{ address: '10.0.0.5', family: 4 }]);
  };
  const service = new ImageInputService(
    imageInputOptions({ maxBodyBytes: 4096, maxImagePixels: 10_000 }),
    resolver,
  );

  beforeAll(async () => {
    png = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#123456' } })
      .png()
      .toBuffer();
    gif = await sharp({ create: { width: 20, height: 10, channels: 3, background: '#654321' } })
      .gif()
      .toBuffer();
  });

  beforeEach(() => jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it('should resolve bare base64 into image bytes', async () => {
    const image = await service.resolve(png.toString('base64'));
    expect(image).toEqual({
      bytes: png,
      format: 'png',
      width: 40,
      height: 30,
      sha256: createHash('sha256').update(png).digest('hex'),
    });
  });

  it('should resolve a data: URI, sniffing the format instead of believing the declared one', async () => {
    const image = await service.resolve(`data:image/png;base64,${gif.toString('base64')}`);
    expect(image).toMatchObject({ format: 'gif', width: 20, height: 10 });
  });

  it('should take an upload by its bytes, not its declared mimetype', async () => {
    expect(await service.fromUpload({ buffer: gif, mimetype: 'image/png' })).toMatchObject({ format: 'gif' });
    expect(
      await apiErrorOf(service.fromUpload({ buffer: Buffer.from('<html>'), mimetype: 'image/png' })),
    ).toMatchObject({
      status: 422,
      code: 'invalid_image',
    });
  });

  it('should answer 413 payload_too_large for inline or uploaded bytes over MAX_BODY_BYTES', async () => {
    const big = Buffer.concat([png, Buffer.alloc(4096)]);
    expect(await apiErrorOf(service.resolve(big.toString('base64')))).toMatchObject({
      status: 413,
      code: 'payload_too_large',
    });
    expect(await apiErrorOf(service.fromUpload({ buffer: big }))).toMatchObject({
      status: 413,
      code: 'payload_too_large',
    });
  });

  it('should answer 413 image_too_large over MAX_IMAGE_PIXELS', async () => {
    const wide = await sharp({ create: { width: 101, height: 100, channels: 3, background: '#000' } })
      .png()
      .toBuffer();
    expect(await apiErrorOf(service.resolve(wide.toString('base64')))).toMatchObject({
      status: 413,
      code: 'image_too_large',
    });
    expect(await apiErrorOf(service.fromUpload({ buffer: wide }))).toMatchObject({
      status: 413,
      code: 'image_too_large',
    });
  });

  it('should answer 400 validation_failed for junk that is neither base64, a data: URI nor a URL', async () => {
    expect(await apiErrorOf(service.resolve('not base64!'))).toMatchObject({
      status: 400,
      code: 'validation_failed',
    });
    expect(await apiErrorOf(service.resolve('data:image/png,raw'))).toMatchObject({
      status: 400,
      code: 'validation_failed',
    });
  });

  it('should send URLs through the SSRF guard', async () => {
    expect(await apiErrorOf(service.resolve('https://intranet.example.com/a.png'))).toMatchObject({
      status: 422,
      code: 'url_not_allowed',
    });
    expect(asked).toContain('intranet.example.com');
    expect(await apiErrorOf(service.resolve('file:///etc/passwd'))).toMatchObject({
      status: 422,
      code: 'url_not_allowed',
    });
  });

  it('should be provided by ImageInputModule, with a resolver override for tests', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ImageInputModule.registerAsync({ useFactory: () => ({ url: { allowedPorts: [8443] } }) })],
    })
      .overrideProvider(HOST_RESOLVER)
      .useValue(resolver)
      .compile();
    const provided = moduleRef.get(ImageInputService);
    expect(await provided.resolve(png.toString('base64'))).toMatchObject({ format: 'png' });
    expect(await apiErrorOf(provided.resolve('https://private.example.com:8443/'))).toMatchObject({
      status: 422,
      code: 'url_not_allowed',
    });
    expect(asked).toContain('private.example.com');
  });

  it('should take its settings from AppConfig with forRoot()', async () => {
    const config = loadConfig(
      { MAX_BODY_BYTES: '2048', MAX_IMAGE_PIXELS: '100', URL_ALLOWED_HOSTS: 'LocalHost' },
      '/srv',
    );
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot(config), ImageInputModule.forRoot()],
    }).compile();
    expect(moduleRef.get<ImageInputOptions>(IMAGE_INPUT_OPTIONS)).toEqual({
      maxBodyBytes: 2048,
      maxImagePixels: 100,
      url: {
        allowHttp: false,
        allowedHosts: ['localhost'],
        allowedPorts: [],
        timeoutMs: 10_000,
        maxRedirects: 3,
      },
    });
    expect(await apiErrorOf(moduleRef.get(ImageInputService).resolve(png.toString('base64')))).toMatchObject({
      status: 413,
      code: 'image_too_large',
    });
  });

  it('should refuse bad settings when the module is built', () => {
    expect(() => ImageInputModule.register({ maxImagePixels: 0 })).toThrow(/MAX_IMAGE_PIXELS/);
  });
});
