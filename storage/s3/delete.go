package s3

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/s3"
)

// Delete implements storage.Bucket with DeleteObject, which S3 answers with
// success for a missing key; a NoSuchKey from a stricter service is
// treated the same.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if err := b.check(ctx, "delete", key); err != nil {
		return err
	}
	_, err := b.client.DeleteObject(ctx, &sdk.DeleteObjectInput{Bucket: aws.String(b.cfg.Bucket), Key: b.objectKey(key)})
	switch apiCode(err) {
	case "NoSuchKey", "NotFound":
		return nil
	}
	if err != nil {
		return wrap("delete", key, err)
	}
	return nil
}
