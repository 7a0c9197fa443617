// The browser build of the AWS SDK's Kinesis client, as a page bundles it:
// esbuild makes kinesis.js (global AWSKinesis) from this entry.
export {
  KinesisClient, PutRecordCommand, PutRecordsCommand, GetShardIteratorCommand, GetRecordsCommand,
  ListShardsCommand, DescribeStreamSummaryCommand,
} from '@aws-sdk/client-kinesis';
