import { FunctionCode, FunctionRuntime, Function as ViewerFunction } from 'aws-cdk-lib/aws-cloudfront';
import { Construct } from 'constructs';

/**
 * Client-side routes (`/sessions/42`) are answered with the app's index.html; files (`/main-AB12.js`) are served as
 * they are. A viewer-request function on the bucket's behaviour only, unlike error responses, which would also turn
 * the API's 403s and 404s into the app's page.
 */
export const SPA_ROUTING_CODE = `function handler(event) {
  var request = event.request;
  var last = request.uri.split('/').pop();
  if (last.indexOf('.') === -1) request.uri = '/index.html';
  return request;
}`;

export class SpaRouting extends Construct {
  readonly function: ViewerFunction;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.function = new ViewerFunction(this, 'Function', {
      code: FunctionCode.fromInline(SPA_ROUTING_CODE),
      runtime: FunctionRuntime.JS_2_0,
      comment: 'SPA routing: paths without a file extension get /index.html',
    });
  }
}
